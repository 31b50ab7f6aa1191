// The `mnist` package ships no types. We only read each digit's raw pixels: its own
// `set`/`get` helpers shuffle with Math.random, which would make splits irreproducible.
declare module 'mnist' {
  interface MnistDigit {
    id: number;
    /** Every sample of this digit, 784 values in [0, 1] each, concatenated row-major. */
    raw: number[];
    /** Number of samples. */
    length: number;
  }
  const digits: MnistDigit[];
  export = digits;
}
