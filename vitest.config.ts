import { defineConfig } from 'vitest/config';

// Tests import workspace packages through their `exports` (dist/), so `pnpm build` runs first.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{apps,libs,tools}/*/src/**/*.spec.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          // Against the real NATS and Redis on loopback (see .ci/run), never mocks of them.
          name: 'integration',
          include: ['{apps,libs,tools}/*/src/**/*.int-spec.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['e2e/src/**/*.e2e-spec.ts'],
          globalSetup: ['e2e/src/support/global-setup.ts'],
          // One topology of real processes at a time: they share ports and two cores.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
