import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { deadlineIn, LogQuerySchema, LogSubjects, type LoggedPrediction } from '@msp/contracts';
import { NatsEnvSchema, natsCredentialsOf, parseEnv } from '@msp/config';
import { NatsBus, natsAuthOptions } from '@msp/messaging';
import { newRequestId } from '@msp/telemetry';

const USAGE = `pnpm logs [--model <m>] [--since <epoch ms | ISO date>] [--status <code>] [--id <request id>] [--limit <n>] [--json]
  Reads the prediction log back from the monitor (over NATS: NATS_URL, default nats://127.0.0.1:4222),
  newest first; --json prints one record per line.`;

/** `pnpm logs`: the prediction log in the terminal, the same query as GET /v1/logs. */
async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        model: { type: 'string' },
        since: { type: 'string' },
        status: { type: 'string' },
        id: { type: 'string' },
        limit: { type: 'string', default: '20' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`logs: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const since = args.since === undefined ? undefined : /^\d+$/.test(args.since) ? Number(args.since) : Date.parse(args.since);
  const query = LogQuerySchema.safeParse({
    model: args.model,
    since,
    status: args.status === undefined ? undefined : Number(args.status),
    request_id: args.id,
    limit: Number(args.limit),
  });
  if (!query.success) {
    process.stderr.write(`logs: ${query.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}\n\n${USAGE}\n`);
    return 2;
  }
  const nats = parseEnv('logs', NatsEnvSchema, process.env);
  const nc = await connect({ servers: nats.NATS_URL, name: 'msp-logs', timeout: 5_000, ...natsAuthOptions(natsCredentialsOf(nats)) });
  try {
    const { records } = await new NatsBus(nc).request<{ records: LoggedPrediction[] }>(LogSubjects.query, query.data, {
      deadline: deadlineIn(10_000),
      requestId: newRequestId(),
    });
    for (const record of records) process.stdout.write(`${args.json ? JSON.stringify(record) : line(record)}\n`);
    if (!args.json) process.stderr.write(`${records.length} record(s)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`logs: ${error instanceof Error ? error.message : String(error)} (is the monitor running? pnpm start runs it)\n`);
    return 1;
  } finally {
    await nc.drain();
  }
}

function line(record: LoggedPrediction): string {
  const feedback = record.feedback ? ` truth=${JSON.stringify(record.feedback.label)}` : '';
  const error = record.error ? ` error=${JSON.stringify(record.error)}` : '';
  const total = record.latency_ms['total'];
  return `${new Date(record.ts).toISOString()} ${record.status} ${record.pattern.padEnd(10)} ${record.model}@${record.version ?? '?'} ${record.request_id} ${total === undefined ? '' : `${total.toFixed(2)}ms`} in=${record.input.sha256.slice(0, 12)}${feedback}${error}`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`logs: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
