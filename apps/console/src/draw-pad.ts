import { DIGIT_SIDE, digitTensor, DigitTransformError } from '@msp/preprocessing/digit';

/** Sample digits as pen strokes on a 0…1 square (each stroke a polyline), to load without drawing. */
export const SAMPLE_DIGITS: Readonly<Record<string, readonly (readonly [number, number])[][]>> = {
  '0': [[[0.5, 0.18], [0.34, 0.25], [0.27, 0.5], [0.34, 0.76], [0.5, 0.83], [0.66, 0.76], [0.73, 0.5], [0.66, 0.25], [0.5, 0.18]]],
  '1': [[[0.42, 0.3], [0.53, 0.18], [0.53, 0.84]]],
  '2': [[[0.3, 0.32], [0.4, 0.2], [0.58, 0.18], [0.7, 0.3], [0.66, 0.46], [0.3, 0.82], [0.74, 0.82]]],
  '3': [[[0.3, 0.22], [0.6, 0.18], [0.7, 0.32], [0.5, 0.48], [0.7, 0.62], [0.64, 0.8], [0.3, 0.82]]],
  '4': [[[0.6, 0.84], [0.6, 0.16], [0.26, 0.62], [0.76, 0.62]]],
  '7': [[[0.28, 0.2], [0.72, 0.2], [0.44, 0.84]]],
};

const SIDE = 280;
const PEN = 20;

/**
 * The digit canvas: draw with a mouse, pen or finger (pointer events), or load a sample or an
 * image. White ink on black, as MNIST; the shared digit transform (libs/preprocessing, the one
 * the trainer and the preprocess service use) turns it into the 28×28 tensor.
 */
export class DrawPad {
  readonly canvas: HTMLCanvasElement;
  private readonly context: CanvasRenderingContext2D;
  private last: [number, number] | undefined;
  private inked = false;

  constructor(private readonly onStrokeEnd: () => void) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = SIDE;
    this.canvas.height = SIDE;
    this.canvas.className = 'pad';
    this.canvas.setAttribute('aria-label', 'Digit canvas: draw a digit with the mouse, or load a sample with the buttons below');
    this.canvas.setAttribute('role', 'img');
    this.context = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    this.canvas.addEventListener('pointerdown', (event) => {
      this.canvas.setPointerCapture(event.pointerId);
      this.last = this.point(event);
      this.dot(this.last);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!this.last) return;
      const next = this.point(event);
      this.line(this.last, next);
      this.last = next;
    });
    const end = (): void => {
      if (!this.last) return;
      this.last = undefined;
      this.onStrokeEnd();
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  get hasInk(): boolean {
    return this.inked;
  }

  clear(): void {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, SIDE, SIDE);
    this.inked = false;
  }

  /** Draws a sample digit's strokes (replacing what is there). */
  drawSample(digit: string): void {
    this.clear();
    for (const stroke of SAMPLE_DIGITS[digit] ?? []) {
      const points = stroke.map(([x, y]): [number, number] => [x * SIDE, y * SIDE]);
      for (let i = 1; i < points.length; i++) this.line(points[i - 1]!, points[i]!);
    }
  }

  /** Draws an image (a dropped or chosen file) scaled into the canvas. */
  drawImage(image: CanvasImageSource, width: number, height: number): void {
    this.clear();
    const scale = Math.min(SIDE / width, SIDE / height);
    this.context.drawImage(image, (SIDE - width * scale) / 2, (SIDE - height * scale) / 2, width * scale, height * scale);
    this.inked = true;
  }

  /** The 28×28 tensor `mnist-*` take, or undefined for a blank canvas. */
  tensor(): Float32Array | undefined {
    const rgba = this.context.getImageData(0, 0, SIDE, SIDE).data;
    const grey = new Uint8Array(SIDE * SIDE);
    for (let i = 0; i < grey.length; i++) grey[i] = Math.round(0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!);
    try {
      return digitTensor({ width: SIDE, height: SIDE, data: grey });
    } catch (error) {
      if (error instanceof DigitTransformError) return undefined;
      throw error;
    }
  }

  /** The canvas as a PNG, for the image pipeline (prep-pred). */
  async png(): Promise<Uint8Array> {
    const blob = await new Promise<Blob | null>((resolve) => this.canvas.toBlob(resolve, 'image/png'));
    if (!blob) throw new Error('the canvas could not be encoded as PNG');
    return new Uint8Array(await blob.arrayBuffer());
  }

  private point(event: PointerEvent): [number, number] {
    const box = this.canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * SIDE, ((event.clientY - box.top) / box.height) * SIDE];
  }

  private dot([x, y]: [number, number]): void {
    this.context.fillStyle = '#fff';
    this.context.beginPath();
    this.context.arc(x, y, PEN / 2, 0, 2 * Math.PI);
    this.context.fill();
    this.inked = true;
  }

  private line(from: [number, number], to: [number, number]): void {
    this.context.strokeStyle = '#fff';
    this.context.lineWidth = PEN;
    this.context.lineCap = 'round';
    this.context.lineJoin = 'round';
    this.context.beginPath();
    this.context.moveTo(...from);
    this.context.lineTo(...to);
    this.context.stroke();
    this.inked = true;
  }
}

export { DIGIT_SIDE };
