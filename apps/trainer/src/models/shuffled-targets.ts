import { createRng } from '@msp/datasets';

/** The same targets in a seeded random order: features and labels no longer belong together. */
export function shuffledTargets(targets: readonly number[], seed: number): number[] {
  return createRng(seed ^ 0x5eed).shuffle([...targets]);
}
