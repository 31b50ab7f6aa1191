import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATATYPES } from './datatypes.js';
import { MspError } from './errors.js';
import { elementCount, parseInferRequest } from './tensor.validation.js';
import { decodeInferRequest, encodeInferRequest } from './tensor.codec.js';

/**
 * Hostile bodies for the two doors every inference comes through: the OIP JSON parser and the
 * binary tensor decoder. Whatever a client sends, the answer is a request or a 400 that says
 * what is wrong: never another exception (a 500, or a crashed service). A fixed seed and a
 * bounded number of runs keep CI repeatable; a failure prints the case that broke it.
 */
const runs = { seed: 20_261_130, numRuns: 400 };

/** Runs `parse`: a value is fine, a 400 with a short message is fine, anything else fails the property. */
function answersOr400<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof MspError) || error.code !== 400) throw error;
    expect(error.message.length).toBeGreaterThan(0);
    expect(error.message.length).toBeLessThan(2_000);
    return undefined;
  }
}

const number = fc.oneof(fc.double(), fc.integer(), fc.constant(1e300), fc.constant(-0), fc.constant(2 ** 53));
const value = fc.oneof(number, fc.boolean(), fc.string({ maxLength: 40 }), fc.constant(null), fc.array(number, { maxLength: 4 }));
const tensor = fc.record({
  name: fc.oneof(fc.constant('input'), fc.string({ maxLength: 12 })),
  datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 6 })),
  shape: fc.array(fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constant(2 ** 31), fc.constant(1e9), fc.double()), { maxLength: 9 }),
  data: fc.array(value, { maxLength: 24 }),
});
const oipShaped = fc.record(
  { id: fc.string({ maxLength: 300 }), inputs: fc.array(tensor, { maxLength: 3 }), parameters: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })) },
  { requiredKeys: ['inputs'] },
);

describe('hostile OIP JSON bodies', () => {
  it('any JSON value is a request or a 400', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (body) => void answersOr400(() => parseInferRequest(body))), runs);
  });

  it('OIP-shaped nonsense (bad shapes, datatypes, values) is a 400, and what passes is consistent', () => {
    fc.assert(
      fc.property(oipShaped, (body) => {
        const request = answersOr400(() => parseInferRequest(body));
        for (const input of request?.inputs ?? []) {
          expect(input.data).toHaveLength(elementCount(input.shape));
          expect(input.data.some((item) => typeof item === 'number' && !Number.isFinite(item))).toBe(false);
        }
      }),
      runs,
    );
  });

  it('data nested 100,000 deep, a shape of 10^18 values and a float beyond FP32 are 400s naming the input', () => {
    let deep: unknown = [1];
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const cases = [
      { name: 'deep', datatype: 'FP32', shape: [1], data: [deep] },
      { name: 'huge', datatype: 'FP32', shape: [1e9, 1e9], data: [1] },
      { name: 'far', datatype: 'FP32', shape: [1], data: [1e300] },
      { name: 'half', datatype: 'FP16', shape: [1], data: [70_000] },
    ];
    for (const input of cases) {
      expect(() => parseInferRequest({ inputs: [input] })).toThrow(expect.objectContaining({ code: 400, message: expect.stringContaining(`'${input.name}'`) }));
    }
  });
});

describe('hostile binary tensor bodies', () => {
  const valid = encodeInferRequest({
    id: 'r',
    inputs: [
      { name: 'input', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] },
      { name: 'names', datatype: 'BYTES', shape: [2], data: ['a', 'bc'] },
    ],
  });

  it('random bytes are a 400', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => void answersOr400(() => decodeInferRequest(bytes))), runs);
  });

  it('a valid message truncated, or with bytes overwritten, decodes to a consistent request or is a 400', () => {
    const damaged = fc.oneof(
      fc.integer({ min: 0, max: valid.length - 1 }).map((end) => valid.slice(0, end)),
      fc.array(fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((edits) => {
        const bytes = Uint8Array.from(valid);
        for (const [at, byte] of edits) bytes[at] = byte;
        return bytes;
      }),
    );
    fc.assert(
      fc.property(damaged, (bytes) => {
        const request = answersOr400(() => decodeInferRequest(bytes));
        for (const input of request?.inputs ?? []) expect(input.data).toHaveLength(elementCount(input.shape));
      }),
      runs,
    );
  });

  it('a header that claims a billion values with no bytes behind them is a 400, allocating nothing', () => {
    // Its header is valid JSON of the right form; only the promised 4 GB are missing.
    const header = JSON.stringify({ kind: 'request', tensors: [{ name: 'input', datatype: 'FP32', shape: [1_000_000_000], bytes: 4_000_000_000 }] });
    const bytes = forgedMessage(valid, header);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeInferRequest(bytes)).toThrow(expect.objectContaining({ code: 400 }));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});

/** `valid`'s framing (magic and length prefix) around another header and no tensor bytes. */
function forgedMessage(valid: Uint8Array, header: string): Uint8Array {
  const view = new DataView(valid.buffer, valid.byteOffset, valid.byteLength);
  const headerLength = view.getUint32(8, true);
  const prefix = valid.slice(0, 8);
  const text = new TextEncoder().encode(header);
  const bytes = new Uint8Array(12 + text.length);
  bytes.set(prefix, 0);
  new DataView(bytes.buffer).setUint32(8, text.length, true);
  bytes.set(text, 12);
  expect(headerLength).toBeGreaterThan(0); // the framing is what this helper assumes
  return bytes;
}
