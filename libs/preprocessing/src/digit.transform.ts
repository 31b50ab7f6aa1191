/**
 * The MNIST digit transform: a grey-scale bitmap of a handwritten digit (any size, either
 * polarity) → the 28×28 Float32 tensor `mnist-*` take (0 = background, 1 = ink).
 *
 * It follows how the MNIST digits themselves were made: the digit's bounding box is scaled,
 * aspect kept, to fit a 20×20 box (area-averaged, so anti-aliased), then placed in a 28×28
 * field so that its centre of mass sits at the centre. Pure arithmetic on typed arrays, no
 * image library: the trainer applies exactly this function to its training and held-out
 * digits, and the preprocess service applies it to decoded uploads, so the same grey bitmap
 * gives bit-identical tensors in training and serving.
 */

/** 8-bit grey pixels, row-major, `width × height`. Either polarity. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export const DIGIT_SIDE = 28;
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;
/** The digit's bounding box is scaled to fit this square, as in MNIST. */
export const DIGIT_BOX = 20;
/** Name of this transform, recorded in model manifests as their `preprocessing`. */
export const DIGIT_TRANSFORM_NAME = 'mnist-digit-v1';

/** After contrast stretching, ink fainter than this is background (paper texture, noise). */
const INK_FLOOR = 0.1;
/** Less contrast than this (of 255) between paper and the darkest ink: no digit. */
const MIN_CONTRAST = 32;

/** Why an image holds no usable digit. */
export class DigitTransformError extends Error {
  override readonly name = 'DigitTransformError';
}

/**
 * The tensor of one digit. Throws DigitTransformError for a blank (or contrast-less) image
 * or an image with a zero or inconsistent size.
 */
export function digitTensor(image: GreyImage): Float32Array {
  const { width, height, data } = image;
  if (!(width > 0 && height > 0) || !Number.isInteger(width) || !Number.isInteger(height)) {
    throw new DigitTransformError(`image has no pixels (${width}×${height})`);
  }
  if (data.length !== width * height) {
    throw new DigitTransformError(`image data has ${data.length} bytes, ${width}×${height} needs ${width * height}`);
  }
  const ink = inkLevels(image);
  const box = boundingBox(ink, width, height);
  if (!box) throw new DigitTransformError('image is blank: no ink stands out from the background');
  const boxWidth = box.right - box.left;
  const boxHeight = box.bottom - box.top;
  const scale = DIGIT_BOX / Math.max(boxWidth, boxHeight);
  const outWidth = Math.max(1, Math.min(DIGIT_BOX, Math.round(boxWidth * scale)));
  const outHeight = Math.max(1, Math.min(DIGIT_BOX, Math.round(boxHeight * scale)));
  const scaled = resampleArea(ink, width, box, outWidth, outHeight);
  return centreOfMassPlacement(scaled, outWidth, outHeight);
}

/**
 * For the trainer: MNIST's own pixels (floats in [0, 1], 0 = background) as the 8-bit grey
 * bitmap a PNG of that digit holds, so training sees what serving decodes.
 */
export function greyFromUnitFloats(pixels: ArrayLike<number>, width: number, height: number): GreyImage {
  if (pixels.length !== width * height) {
    throw new DigitTransformError(`${pixels.length} pixels do not make a ${width}×${height} image`);
  }
  const data = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const value = Math.round((pixels[i] as number) * 255);
    data[i] = value < 0 ? 0 : value > 255 ? 255 : value;
  }
  return { width, height, data };
}

/**
 * What the trainer applies to every MNIST digit (train and held-out): its pixels as the 8-bit
 * bitmap a PNG of it holds, through `digitTensor`. A PNG of the same digit decoded by the
 * preprocess service gives a bit-identical tensor.
 */
export function digitTensorFromUnitFloats(pixels: ArrayLike<number>, side: number = DIGIT_SIDE): Float32Array {
  return digitTensor(greyFromUnitFloats(pixels, side, side));
}

/**
 * Ink in [0, 1] per pixel: polarity from the border (paper surrounds the digit: a light
 * border means dark ink, as a photo of paper gives), contrast stretched between the border's
 * level and the strongest ink, faint noise floored to 0.
 */
function inkLevels(image: GreyImage): Float64Array {
  const { width, height, data } = image;
  const border = borderMedian(image);
  const invert = border > 127;
  const background = invert ? 255 - border : border;
  let strongest = 0;
  for (let i = 0; i < data.length; i++) {
    const value = invert ? 255 - (data[i] as number) : (data[i] as number);
    if (value > strongest) strongest = value;
  }
  const ink = new Float64Array(width * height);
  const range = strongest - background;
  if (range < MIN_CONTRAST) return ink;
  for (let i = 0; i < data.length; i++) {
    const value = invert ? 255 - (data[i] as number) : (data[i] as number);
    const level = (value - background) / range;
    ink[i] = level < INK_FLOOR ? 0 : level > 1 ? 1 : level;
  }
  return ink;
}

/** Median of the outermost ring of pixels (a 1-pixel frame). */
function borderMedian(image: GreyImage): number {
  const { width, height, data } = image;
  const histogram = new Uint32Array(256);
  let count = 0;
  const add = (x: number, y: number): void => {
    histogram[data[y * width + x] as number]! += 1;
    count++;
  };
  for (let x = 0; x < width; x++) {
    add(x, 0);
    if (height > 1) add(x, height - 1);
  }
  for (let y = 1; y < height - 1; y++) {
    add(0, y);
    if (width > 1) add(width - 1, y);
  }
  let seen = 0;
  for (let value = 0; value < 256; value++) {
    seen += histogram[value] as number;
    if (seen * 2 >= count) return value;
  }
  return 255;
}

interface Box {
  left: number;
  top: number;
  /** Exclusive. */
  right: number;
  /** Exclusive. */
  bottom: number;
}

function boundingBox(ink: Float64Array, width: number, height: number): Box | undefined {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((ink[y * width + x] as number) > 0) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  return right < 0 ? undefined : { left, top, right: right + 1, bottom: bottom + 1 };
}

/**
 * Area-averaging resample of `box` to `outWidth × outHeight`: each output pixel is the mean of
 * the source area it covers (fractional pixels weighted by coverage). Separable: rows first.
 */
function resampleArea(ink: Float64Array, width: number, box: Box, outWidth: number, outHeight: number): Float64Array {
  const boxWidth = box.right - box.left;
  const boxHeight = box.bottom - box.top;
  const columns = areaWeights(boxWidth, outWidth);
  const rows = areaWeights(boxHeight, outHeight);
  const horizontal = new Float64Array(boxHeight * outWidth);
  for (let y = 0; y < boxHeight; y++) {
    const source = (box.top + y) * width + box.left;
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (const [sx, weight] of columns[ox] as [number, number][]) sum += (ink[source + sx] as number) * weight;
      horizontal[y * outWidth + ox] = sum;
    }
  }
  const out = new Float64Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (const [sy, weight] of rows[oy] as [number, number][]) sum += (horizontal[sy * outWidth + ox] as number) * weight;
      out[oy * outWidth + ox] = sum;
    }
  }
  return out;
}

/** For each output index, the source indices it covers and their weights (summing to 1). */
function areaWeights(sourceSize: number, outSize: number): [number, number][][] {
  const step = sourceSize / outSize;
  const weights: [number, number][][] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * step;
    const end = (o + 1) * step;
    const taps: [number, number][] = [];
    for (let s = Math.floor(start); s < Math.min(sourceSize, Math.ceil(end)); s++) {
      const covered = Math.min(end, s + 1) - Math.max(start, s);
      if (covered > 0) taps.push([s, covered / step]);
    }
    weights.push(taps);
  }
  return weights;
}

/** Places the scaled digit in the 28×28 field with its centre of mass at the field's centre. */
function centreOfMassPlacement(patch: Float64Array, patchWidth: number, patchHeight: number): Float32Array {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < patchHeight; y++) {
    for (let x = 0; x < patchWidth; x++) {
      const value = patch[y * patchWidth + x] as number;
      mass += value;
      sumX += (x + 0.5) * value;
      sumY += (y + 0.5) * value;
    }
  }
  const centre = DIGIT_SIDE / 2;
  const place = (sum: number, size: number): number => {
    const offset = mass > 0 ? Math.round(centre - sum / mass) : Math.floor((DIGIT_SIDE - size) / 2);
    return Math.min(DIGIT_SIDE - size, Math.max(0, offset));
  };
  const left = place(sumX, patchWidth);
  const top = place(sumY, patchHeight);
  const out = new Float32Array(DIGIT_PIXELS);
  for (let y = 0; y < patchHeight; y++) {
    for (let x = 0; x < patchWidth; x++) {
      out[(top + y) * DIGIT_SIDE + left + x] = patch[y * patchWidth + x] as number;
    }
  }
  return out;
}
