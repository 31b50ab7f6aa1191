import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DATATYPES } from './datatypes.js';
import { InferRequestSchema } from './oip.schema.js';
import { plainInferRequest } from './tensor.validation.js';

/**
 * parseInferRequest checks the common request by hand instead of through zod (no copy of every
 * data element). Whatever it accepts must be exactly what the schema returns for the same body:
 * same values, same keys in the same order (cache keys and logs stringify it).
 */
const runs = { seed: 20_261_130, numRuns: 1_000 };
/** Mostly a good value, sometimes a wrong one: the fast path must be reached often, and left often. */
const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) => fc.oneof({ arbitrary: good, weight: 12 }, { arbitrary: bad, weight: 1 });
const anyValue = fc.oneof(fc.double(), fc.string({ maxLength: 4 }), fc.constant(null), fc.constant(undefined), fc.array(fc.integer(), { maxLength: 3 }));
const dim = mostly(fc.integer({ min: 0, max: 6 }), fc.constantFrom(-1, 1.5, 2 ** 53, Number.NaN, '2'));
/** Keys the fast path leaves to the schema (parameters, unknown keys), now and then. */
const sometimes = mostly(
  fc.constant({}),
  fc.record({ parameters: fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), extra: anyValue }, { requiredKeys: [] }),
);
const input = fc
  .tuple(
    fc.record({
      name: mostly(fc.constant('input'), fc.oneof(fc.constant(''), fc.integer())),
      shape: mostly(fc.array(dim, { maxLength: 9 }), anyValue),
      datatype: mostly(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 4 })),
      data: mostly(fc.array(fc.oneof(fc.double(), fc.boolean(), fc.string({ maxLength: 3 })), { maxLength: 6 }), anyValue),
    }),
    sometimes,
  )
  .map(([core, more]) => ({ ...core, ...more }));
const body = fc
  .tuple(
    fc.record(
      {
        id: mostly(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ minLength: 250, maxLength: 260 }), anyValue)),
        inputs: mostly(fc.array(input, { maxLength: 3 }), anyValue),
        outputs: mostly(fc.array(fc.record({ name: fc.string({ maxLength: 3 }) }), { maxLength: 2 }), fc.oneof(anyValue, fc.constant([{ name: 'x', parameters: {} }]))),
      },
      { requiredKeys: ['inputs'] },
    ),
    sometimes,
  )
  .map(([core, more]) => ({ ...core, ...more }));

describe('parseInferRequest fast path', () => {
  it('accepts only what the schema accepts, and returns exactly what the schema returns', () => {
    let taken = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: body, weight: 6 }, { arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 }), (candidate) => {
        const fast = plainInferRequest(candidate);
        if (fast === undefined) return;
        taken += 1;
        const schema = InferRequestSchema.safeParse(candidate);
        expect(schema.success).toBe(true);
        expect(fast).toStrictEqual(schema.data);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(schema.data));
      }),
      runs,
    );
    // The generator must reach the fast path often enough for the property to mean something.
    expect(taken).toBeGreaterThan(200);
  });
});
