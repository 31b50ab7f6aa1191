import { describe, expect, it } from 'vitest';
import { ExperimentDefinitionError, loadDefinitions, parseDefinitions } from './experiments.loader.js';

const parse = (text: string) => parseDefinitions(text, 'experiments.yaml').experiments;
const problems = (text: string): string[] => {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ExperimentDefinitionError) return error.problems;
    throw error;
  }
  throw new Error('expected the file to be refused');
};

describe('experiments file', () => {
  it('reads shadow experiments with their defaults', () => {
    expect(parse('experiments:\n  - { id: a, kind: shadow, model: iris-mlp, shadow: { model: iris-softmax } }\n')).toEqual([
      { id: 'a', kind: 'shadow', model: 'iris-mlp', shadow: { model: 'iris-softmax' }, timeout_ms: 1_000, max_in_flight: 64 },
    ]);
  });

  it('means no experiments when EXPERIMENTS_FILE is not set', () => {
    expect(loadDefinitions('')).toEqual({ experiments: [], rollouts: [] });
  });

  it('names the path and the problem of a bad entry', () => {
    expect(problems('experiments:\n  - { id: a, kind: shadow, model: iris-mlp, shadow: { model: iris-softmax }, timeout_ms: 0 }\n')).toEqual([
      expect.stringMatching(/^experiments\[0\]\.timeout_ms: /),
    ]);
    expect(problems('experiments:\n  - { id: a, kind: shadow, model: iris-mlp, shadow: { model: "$(rm)" } }\n')[0]).toMatch(/experiments\[0\]\.shadow\.model/);
    expect(problems('experiments: [\n')[0]).toMatch(/^YAML: /);
  });

  it('refuses duplicate ids, two experiments on one primary, and a model shadowing itself', () => {
    const entry = (id: string, model: string, shadow: string) => `  - { id: ${id}, kind: shadow, model: ${model}, shadow: { model: ${shadow} } }`;
    expect(problems(['experiments:', entry('a', 'm1', 'x'), entry('a', 'm2', 'x')].join('\n'))).toEqual([expect.stringMatching(/'a' is defined twice/)]);
    expect(problems(['experiments:', entry('a', 'm1', 'x'), entry('b', 'm1', 'y')].join('\n'))).toEqual([expect.stringMatching(/already the model of 'a'/)]);
    expect(problems(['experiments:', entry('a', 'm1', 'm1')].join('\n'))).toEqual([expect.stringMatching(/cannot shadow itself/)]);
    expect(parse('experiments:\n  - { id: a, kind: shadow, model: m1, shadow: { model: m1, version: "2" } }')).toHaveLength(1);
  });

  it('reads an AB experiment and refuses one without two named, weighted variants', () => {
    const ab = (variants: string) => `experiments:\n  - { id: ab, kind: ab, model: iris-ab, key: { header: x-user-id }, variants: [${variants}] }`;
    expect(parse(ab('{ name: a, model: iris-mlp, weight: 70 }, { name: b, model: iris-softmax, weight: 30 }'))[0]).toMatchObject({
      kind: 'ab',
      key: { header: 'x-user-id' },
      variants: [{ name: 'a', weight: 70 }, { name: 'b', weight: 30 }],
    });
    expect(problems(ab('{ name: a, model: iris-mlp, weight: 70 }'))[0]).toMatch(/at least two variants/);
    expect(problems(ab('{ name: a, model: iris-mlp, weight: 1 }, { name: a, model: iris-softmax, weight: 1 }'))[0]).toMatch(/unique/);
    expect(problems(ab('{ name: a, model: iris-mlp, weight: 0 }, { name: b, model: iris-softmax, weight: 0 }'))[0]).toMatch(/every weight is 0/);
  });

  it('reads a rollout with its defaults and refuses one that names no AB experiment, the control, or falling steps', () => {
    const file = (rollout: string) =>
      [
        'experiments:',
        '  - { id: ab, kind: ab, model: iris, variants: [{ name: a, model: iris-mlp, weight: 100 }, { name: b, model: iris-softmax, weight: 0 }] }',
        '  - { id: s, kind: shadow, model: iris-mlp, shadow: { model: iris-softmax } }',
        'rollouts:',
        `  - ${rollout}`,
      ].join('\n');
    expect(parseDefinitions(file('{ id: r, experiment: ab }'), 'f').rollouts).toEqual([
      {
        id: 'r',
        experiment: 'ab',
        shadow: true,
        steps: [5, 25, 50],
        window_s: 60,
        min_samples: 100,
        max_step_s: 600,
        fallback: { enabled: true, assigned_share: 0.5 },
        bounds: { error_rate: 0.01, latency_p99_ratio: 1.5, latency_p99_slack_ms: 20, accuracy_drop: 0.05, min_outcomes: 30 },
      },
    ]);
    expect(problems(file('{ id: r, experiment: s }'))).toEqual([expect.stringMatching(/^rollouts\[0\]\.experiment: 's' is not an AB experiment/)]);
    expect(problems(file('{ id: r, experiment: ab, candidate: a }'))).toEqual([expect.stringMatching(/other than its control \('a'\)/)]);
    expect(problems(file('{ id: r, experiment: ab, steps: [25, 5] }'))).toEqual([expect.stringMatching(/weights must rise/)]);
    expect(problems(file('{ id: r, experiment: ab, steps: [100] }'))).toEqual([expect.stringMatching(/^rollouts\[0\]\.steps\[0\]/)]);
  });
});
