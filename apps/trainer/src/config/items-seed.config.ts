/** What `pnpm items:seed` (dist/items-seed-main.js) reads from the environment. */
export interface ItemsSeedConfig {
  natsServers: string[];
  /** At most this many held-out digits (default: all 2,000). */
  mnistCount: number | undefined;
}

/** The one place the seeder reads the environment; a bad value is an error naming it. */
export function loadItemsSeedConfig(env: NodeJS.ProcessEnv = process.env): ItemsSeedConfig {
  const natsServers = (env['NATS_URL'] || 'nats://127.0.0.1:4222').split(',').map((server) => server.trim());
  const raw = env['ITEMS_MNIST_COUNT'];
  const mnistCount = raw === undefined || raw === '' ? undefined : Number(raw);
  if (mnistCount !== undefined && !(Number.isInteger(mnistCount) && mnistCount >= 0)) {
    throw new Error(`ITEMS_MNIST_COUNT=${raw}: expected a whole number of digits`);
  }
  return { natsServers, mnistCount };
}
