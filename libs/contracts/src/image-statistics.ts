/**
 * Image drift is measured on a few statistics of each image rather than on its pixels (784 KS
 * tests on MNIST would be noise): how much ink it has and where the ink sits. The trainer
 * summarises the training images with the same function the prediction log applies to live
 * inputs, so the two sides cannot disagree about what a statistic means.
 */
export const IMAGE_FEATURES = ['ink', 'centre_x', 'centre_y'] as const;

/** A pixel at or above this intensity (inputs are scaled to [0, 1]) counts as ink. */
const INK_LEVEL = 0.5;
/** The smallest side worth summarising: below it a tensor is more likely a feature row. */
const MIN_SIDE = 8;

/**
 * `[ink, centre_x, centre_y]` of one square image of `side`² pixels starting at `offset`: the
 * share of pixels that are ink, and the intensity-weighted centre as a fraction of the width and
 * height (0.5 = the middle; a blank image counts as centred).
 */
export function imageStatistics(pixels: ArrayLike<number>, side: number, offset = 0): [number, number, number] {
  let ink = 0;
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < side; y++) {
    const row = offset + y * side;
    for (let x = 0; x < side; x++) {
      const value = pixels[row + x] as number;
      if (value >= INK_LEVEL) ink++;
      if (value > 0) {
        mass += value;
        sumX += value * x;
        sumY += value * y;
      }
    }
  }
  const span = Math.max(side - 1, 1);
  const centreX = mass > 0 ? sumX / mass / span : 0.5;
  const centreY = mass > 0 ? sumY / mass / span : 0.5;
  return [round(ink / (side * side)), round(centreX), round(centreY)];
}

/**
 * The side of the square images a tensor holds — shape `[…, s, s]` or `[N, s²]` with s ≥ 8 —
 * or undefined when it does not look like images.
 */
export function imageSide(shape: readonly number[]): number | undefined {
  const last = shape[shape.length - 1];
  if (last === undefined || !Number.isInteger(last)) return undefined;
  if (shape.length >= 3 && shape[shape.length - 2] === last && last >= MIN_SIDE) return last;
  if (shape.length === 2) {
    const side = Math.round(Math.sqrt(last));
    if (side >= MIN_SIDE && side * side === last) return side;
  }
  return undefined;
}

/** Each image's statistics in a flat tensor of images of `side`² pixels (a ragged tail is ignored). */
export function imageRowStatistics(data: ArrayLike<number>, side: number): [number, number, number][] {
  const pixels = side * side;
  const rows: [number, number, number][] = [];
  for (let offset = 0; offset + pixels <= data.length; offset += pixels) rows.push(imageStatistics(data, side, offset));
  return rows;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
