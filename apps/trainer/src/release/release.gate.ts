/** What the gate weighs: the candidate and, when one serves, the serving version on the same rows. */
export interface GateInput {
  /** Minimum held-out accuracy (the trainer's gate). */
  threshold: number;
  accuracy: number;
  heldOutRows: number;
  /** Set when the exported ONNX does not reproduce the trained model. */
  parityProblem?: string;
  /** The serving version scored by onnxruntime on the very same held-out rows. */
  serving?: { version: string; accuracy: number };
  /**
   * Cross-validated accuracy on the training rows, when the trainer can compute it: the
   * threshold is checked against it rather than against 30 held-out rows, where one row is
   * 3.3 points and a 0.93 gate is seed-sensitive.
   */
  crossValidated?: { accuracy: number; folds: number; rows: number };
}

export interface GateVerdict {
  pass: boolean;
  /** Always said: why it passed or why it was refused. */
  reason: string;
}

/**
 * The evaluation gate: refuses a model whose export is wrong, one below its threshold, and
 * one worse than the serving version on the same held-out rows (equal is allowed: a
 * retrained model with the same score may replace the old one).
 */
export function judgeRelease(input: GateInput): GateVerdict {
  const accuracy = input.accuracy.toFixed(4);
  const rows = `${input.heldOutRows} held-out rows`;
  if (input.parityProblem) return { pass: false, reason: `export refused: ${input.parityProblem}` };
  const cv = input.crossValidated;
  const cvText = cv ? `cross-validated accuracy ${cv.accuracy.toFixed(4)} (${cv.folds}-fold on ${cv.rows} training rows)` : '';
  if (cv && cv.accuracy < input.threshold) {
    return { pass: false, reason: `${cvText} is below the gate ${input.threshold}` };
  }
  if (!cv && input.accuracy < input.threshold) {
    return { pass: false, reason: `accuracy ${accuracy} on ${rows} is below the gate ${input.threshold}` };
  }
  if (input.serving && input.accuracy < input.serving.accuracy) {
    return {
      pass: false,
      reason: `accuracy ${accuracy} is worse than serving v${input.serving.version}'s ${input.serving.accuracy.toFixed(4)} on the same ${rows}`,
    };
  }
  const versus = input.serving
    ? ` and not worse than serving v${input.serving.version}'s ${input.serving.accuracy.toFixed(4)} on the same ${rows}`
    : ` on ${rows} (nothing serving yet)`;
  if (cv) return { pass: true, reason: `${cvText} ≥ gate ${input.threshold}; held-out accuracy ${accuracy}${versus}` };
  return { pass: true, reason: `accuracy ${accuracy} ≥ gate ${input.threshold}${versus}` };
}
