import { connect } from '@nats-io/transport-node';
import { natsAuthOptions, setJetStreamReplicas } from '@msp/messaging';
import { loadItemsSeedConfig } from './config/items-seed.config.js';
import { heldOutItems } from './items/held-out-items.js';
import { seedItems } from './items/items-seed.js';

/**
 * `pnpm items:seed` (and the compose/k8s one-shot `items-seed`, in the trainer image, which may
 * carry the datasets): the held-out iris rows and MNIST digits into the data cache's KV bucket.
 */
async function main(): Promise<void> {
  const { natsServers, jetStreamReplicas, natsCredentials, mnistCount } = loadItemsSeedConfig();
  // Every item made before connecting: loading the digits blocks the event loop for seconds on a
  // loaded machine, which would expire request timers and leave pings unanswered (the server
  // drops a client silent for about 6 s, NATS_LIVENESS).
  const items = [...heldOutItems(mnistCount === undefined ? {} : { mnistCount })];
  // A one-shot that starts with the whole stack (and a trainer busy on every core): a first connect
  // slower than nats.js's default is no reason to fail the deployment.
  const nc = await connect({ servers: natsServers, name: 'items-seed', timeout: 30_000, ...natsAuthOptions(natsCredentials) });
  setJetStreamReplicas(nc, jetStreamReplicas);
  try {
    const started = Date.now();
    const { written, unchanged } = await seedItems(nc, items);
    console.log(`items seeded into KV bucket: ${written} written, ${unchanged} unchanged (${Date.now() - started} ms)`);
  } finally {
    await nc.drain();
  }
}

main().catch((error: unknown) => {
  console.error(`items:seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
