import { MODEL_NAMES } from '@msp/contracts';

/**
 * What each serving pattern's deploy files must contain, beyond the generic checks. A pattern
 * is a Compose profile and a k8s overlay of the same name (k8s/overlays/<pattern>); one without
 * an entry here gets only the generic checks.
 */
export interface PatternExpectation {
  /** A gateway serves clients. */
  gateway?: boolean;
  /** Models with a predictor (MODEL_NAME) in the pattern. */
  models?: readonly string[];
  /** A predictor serving this model over HTTP itself (HTTP_PORT set): the web-single pattern. */
  httpPredictor?: string;
}

export const PATTERN_EXPECTATIONS: Readonly<Record<string, PatternExpectation>> = {
  synchronous: { gateway: true, models: MODEL_NAMES },
  'web-single': { httpPredictor: 'iris-mlp', models: ['iris-mlp'] },
};
