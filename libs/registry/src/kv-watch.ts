import type { KV, KvEntry } from '@nats-io/kv';

/** Calls `onEntry` for every stored key at once, then for every change, until the signal aborts. */
export async function followBucket(kv: KV, onEntry: (entry: KvEntry) => void, signal: AbortSignal): Promise<void> {
  const watcher = await kv.watch();
  const stop = (): void => watcher.stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const entry of watcher) onEntry(entry);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}
