import { NatsEnvSchema, natsCredentialsOf, parseEnv, type NatsCredentials } from '@msp/config';

/** What `pnpm items:seed` (dist/items-seed-main.js) reads from the environment. */
export interface ItemsSeedConfig {
  natsServers: string[];
  jetStreamReplicas: number;
  natsCredentials?: NatsCredentials | undefined;
  /** At most this many held-out digits (default: all 2,000). */
  mnistCount: number | undefined;
}

/** The one place the seeder reads the environment; a bad value is an error naming it. */
export function loadItemsSeedConfig(env: NodeJS.ProcessEnv = process.env): ItemsSeedConfig {
  const nats = parseEnv('items-seed', NatsEnvSchema, env);
  const raw = env['ITEMS_MNIST_COUNT'];
  const mnistCount = raw === undefined || raw === '' ? undefined : Number(raw);
  if (mnistCount !== undefined && !(Number.isInteger(mnistCount) && mnistCount >= 0)) {
    throw new Error(`ITEMS_MNIST_COUNT=${raw}: expected a whole number of digits`);
  }
  return { natsServers: nats.NATS_URL, jetStreamReplicas: nats.JETSTREAM_REPLICAS, natsCredentials: natsCredentialsOf(nats), mnistCount };
}
