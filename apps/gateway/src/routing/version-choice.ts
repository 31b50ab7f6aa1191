import type { RoutingPolicy } from '@msp/contracts';

/**
 * The version a request that names none goes to, under the model's policy, among the versions
 * that have live predictors; undefined means "latest": the model's queue group, whichever
 * predictor answers. A pinned or weighted version with no predictor is skipped rather than
 * failing the request.
 */
export function chooseVersion(policy: RoutingPolicy, live: readonly string[], random: () => number = Math.random): string | undefined {
  switch (policy.mode) {
    case 'latest':
      return undefined;
    case 'pinned':
      return live.includes(policy.version) ? policy.version : undefined;
    case 'weighted': {
      const candidates = Object.entries(policy.weights).filter(([version, weight]) => weight > 0 && live.includes(version));
      const total = candidates.reduce((sum, [, weight]) => sum + weight, 0);
      if (total === 0) return undefined;
      let point = random() * total;
      for (const [version, weight] of candidates) {
        point -= weight;
        if (point < 0) return version;
      }
      return candidates.at(-1)?.[0];
    }
  }
}
