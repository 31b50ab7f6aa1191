import type { Logger } from '@msp/telemetry';

/** How long to wait before watching a KV bucket again after a failure (no JetStream yet). */
const RETRY_MS = 5_000;

/** Runs a watch until the signal aborts, starting it again after a failure (e.g. JetStream not up yet). */
export async function keepWatching(what: string, watch: () => Promise<void>, signal: AbortSignal, logger: Logger): Promise<void> {
  while (!signal.aborted) {
    try {
      await watch();
    } catch (error) {
      if (signal.aborted) return;
      logger.warn({ err: error }, `cannot watch ${what}; retrying in ${RETRY_MS} ms`);
    }
    if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
  }
}
