import { connect } from '@nats-io/transport-node';
import { heldOutItems } from './items/held-out-items.js';
import { seedItems } from './items/items-seed.js';

/**
 * `pnpm items:seed` (and the compose one-shot `items-seed`, in the trainer image, which may carry
 * the datasets): the held-out iris rows and MNIST digits into the data cache's KV bucket.
 * NATS_URL: the server (default nats://127.0.0.1:4222); ITEMS_MNIST_COUNT: at most this many digits.
 */
async function main(): Promise<void> {
  const servers = (process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222').split(',');
  const mnistCount = process.env['ITEMS_MNIST_COUNT'] === undefined ? undefined : Number(process.env['ITEMS_MNIST_COUNT']);
  if (mnistCount !== undefined && !(Number.isInteger(mnistCount) && mnistCount >= 0)) throw new Error('ITEMS_MNIST_COUNT must be a whole number');
  const nc = await connect({ servers, name: 'items-seed', timeout: 5_000 });
  try {
    const started = Date.now();
    const { written, unchanged } = await seedItems(nc, heldOutItems(mnistCount === undefined ? {} : { mnistCount }));
    console.log(`items seeded into KV bucket: ${written} written, ${unchanged} unchanged (${Date.now() - started} ms)`);
  } finally {
    await nc.drain();
  }
}

main().catch((error: unknown) => {
  console.error(`items:seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
