import { connectNats, type NatsConnection } from '@msp/messaging';
import { PredictionLog } from '@msp/prediction-log';
import { createLogger, startTracing, stopTracing } from '@msp/telemetry';
import { parseBatchCommand, USAGE, UsageError, type BatchOptions } from './batch/batch-options.js';
import { formatSummary } from './batch/batch-summary.js';
import { runBatch } from './batch/batch.runner.js';

/**
 * The batch job: `node apps/worker/dist/batch-main.js --model … --input … --output …` (or the
 * same from BATCH_* variables, as a k8s CronJob). Exit 0 done, 1 failed or interrupted (the
 * checkpoint is kept; the next run resumes), 2 usage error.
 */
const NATS_CONNECT_TIMEOUT_MS = 15_000;
const DRAIN_TIMEOUT_MS = 5_000;

const stderr = (text: string): void => void process.stderr.write(`${text}\n`);

async function main(argv: readonly string[]): Promise<number> {
  let options: BatchOptions;
  try {
    // Under `pnpm batch` the process runs in the repository root; relative paths mean the caller's folder.
    const cwd = process.env['npm_lifecycle_event'] === 'batch' ? (process.env['INIT_CWD'] ?? process.cwd()) : process.cwd();
    const parsed = parseBatchCommand(argv, process.env, cwd);
    if (parsed.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed.options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr(`batch: ${error.message}\n\n${USAGE}`);
    return 2;
  }

  await startTracing('batch');
  const logger = createLogger({ service: 'batch', level: options.logLevel });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      stderr(`batch: ${signal} again, exiting now; the last checkpoint stands`);
      process.exit(1);
    }
    stderr(`batch: ${signal}: writing the chunks in flight, then stopping; the next run resumes`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let nc: NatsConnection | undefined;
  try {
    nc = await withTimeout(
      connectNats({ servers: options.natsServers, jetStreamReplicas: options.jetStreamReplicas, credentials: options.natsCredentials, name: `msp-batch-${options.model}` }, logger),
      NATS_CONNECT_TIMEOUT_MS,
      `cannot reach NATS at ${options.natsServers.join(', ')} within ${NATS_CONNECT_TIMEOUT_MS} ms`,
    );
    const connection = nc;
    const predictionLog = new PredictionLog(connection, options.predictionLog, () => !connection.isClosed(), undefined, logger);
    await predictionLog.start();
    const summary = await runBatch(options, { nc, logger, progress: stderr, signal: controller.signal, predictionLog });
    predictionLog.flush();
    stderr(formatSummary(summary));
    logger.info({ summary }, summary.interrupted ? 'batch interrupted' : 'batch done');
    return summary.interrupted ? 1 : 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      stderr(`batch: ${message}`);
      return 2;
    }
    stderr(`batch: failed: ${message}\nbatch: rerun the same command to resume from the last checkpoint`);
    logger.error({ err: error }, 'batch failed');
    return 1;
  } finally {
    if (nc) await withTimeout(nc.drain(), DRAIN_TIMEOUT_MS, 'NATS drain timed out').catch(() => undefined);
    await withTimeout(stopTracing(), DRAIN_TIMEOUT_MS, 'span export timed out').catch(() => undefined);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    stderr(`batch: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
