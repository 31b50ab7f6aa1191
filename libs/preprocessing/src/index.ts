export {
  DIGIT_BOX,
  DIGIT_PIXELS,
  DIGIT_SIDE,
  DIGIT_TRANSFORM_NAME,
  digitTensor,
  digitTensorFromUnitFloats,
  DigitTransformError,
  greyFromUnitFloats,
} from './digit.transform.js';
export type { GreyImage } from './digit.transform.js';
export { DEFAULT_DECODE_LIMITS, decodeGreyImage, ImageDecodeError, sniffImageFormat, toGrey } from './image.decoder.js';
export type { DecodeLimits, ImageFormat } from './image.decoder.js';
