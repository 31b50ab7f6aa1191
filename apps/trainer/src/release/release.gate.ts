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
  if (input.accuracy < input.threshold) {
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
  return { pass: true, reason: `accuracy ${accuracy} ≥ gate ${input.threshold}${versus}` };
}
