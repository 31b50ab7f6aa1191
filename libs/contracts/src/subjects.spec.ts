import { describe, expect, it } from 'vitest';
import { Subjects, subjectTemplate } from './subjects.js';

describe('subjectTemplate', () => {
  it('names every replica of a model alike, and leaves other subjects as they are', () => {
    expect(subjectTemplate(Subjects.inferReplica('iris-mlp', 'Xk3pW9qL2aBcD4eF5gH6iJ'))).toBe('msp.infer-replica.iris-mlp.{replica}');
    expect(subjectTemplate(Subjects.inferReplica('iris-mlp', 'another'))).toBe('msp.infer-replica.iris-mlp.{replica}');
    expect(subjectTemplate(Subjects.infer('iris-mlp'))).toBe('msp.infer.iris-mlp');
    expect(subjectTemplate(Subjects.inferVersion('iris-mlp', '1.2'))).toBe('msp.infer.iris-mlp.1.2');
    expect(subjectTemplate(Subjects.prep('mnist'))).toBe('msp.prep.mnist');
  });
});
