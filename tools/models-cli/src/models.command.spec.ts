import { describe, expect, it } from 'vitest';
import { isRegistryCommand, parseModelsCommand, UsageError } from './models.command.js';

function usageError(argv: string[]): string {
  try {
    parseModelsCommand(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseModelsCommand', () => {
  it('reads every command', () => {
    expect(parseModelsCommand(['list'])).toEqual({ kind: 'list' });
    expect(parseModelsCommand(['list', 'iris-mlp'])).toEqual({ kind: 'list', model: 'iris-mlp' });
    expect(parseModelsCommand(['show', 'iris-mlp'])).toEqual({ kind: 'show', model: 'iris-mlp' });
    expect(parseModelsCommand(['show', 'iris-mlp', '2'])).toEqual({ kind: 'show', model: 'iris-mlp', version: '2' });
    expect(parseModelsCommand(['promote', 'iris-mlp', '2', '--keep', '5', '--reason', 'canary ok'])).toEqual({
      kind: 'promote',
      model: 'iris-mlp',
      version: '2',
      keep: 5,
      reason: 'canary ok',
    });
    expect(parseModelsCommand(['promote', 'iris-mlp', '2'])).toMatchObject({ keep: 3 });
    expect(parseModelsCommand(['retire', 'iris-mlp', '1'])).toEqual({ kind: 'retire', model: 'iris-mlp', version: '1' });
    expect(parseModelsCommand(['rollback', 'iris-mlp'])).toEqual({ kind: 'rollback', model: 'iris-mlp' });
    expect(parseModelsCommand(['retire', 'iris-mlp', '--below', 'cvAccuracy=0.95'])).toEqual({
      kind: 'retire-below',
      model: 'iris-mlp',
      metric: 'cvAccuracy',
      min: 0.95,
    });
    expect(parseModelsCommand(['import'])).toEqual({ kind: 'import' });
    expect(parseModelsCommand(['route', 'iris-mlp'])).toEqual({ kind: 'route', model: 'iris-mlp' });
    expect(parseModelsCommand(['route', 'iris-mlp', 'latest'])).toEqual({ kind: 'route', model: 'iris-mlp', policy: { mode: 'latest' } });
    expect(parseModelsCommand(['route', 'iris-mlp', 'pin', '3'])).toEqual({ kind: 'route', model: 'iris-mlp', policy: { mode: 'pinned', version: '3' } });
    expect(parseModelsCommand(['route', 'iris-mlp', 'split', '2=90,3=10'])).toEqual({
      kind: 'route',
      model: 'iris-mlp',
      policy: { mode: 'weighted', weights: { '2': 90, '3': 10 } },
    });
  });

  it('says what is missing or unexpected', () => {
    expect(usageError(['promote', 'iris-mlp'])).toBe('promote needs a version');
    expect(usageError(['rollback'])).toBe('rollback needs a model name');
    expect(usageError(['retire', 'a', '1', '2'])).toBe('retire takes <model> <version>; unexpected: 2');
    expect(usageError(['promote', 'a', '1', '--keep', '0'])).toMatch(/--keep 0/);
    expect(usageError(['list', '--keep', '2'])).toBe('--keep is an option of promote');
    expect(usageError(['retire', 'a', '--below', 'accuracy>0.9'])).toBe('--below accuracy>0.9: <metric>=<min>, e.g. accuracy=0.95');
    expect(usageError(['retire', 'a', '1', '--below', 'accuracy=0.9'])).toMatch(/unexpected: 1/);
    expect(usageError(['list', '--force'])).toMatch(/--force/);
    expect(usageError(['route', 'a', 'split', '2:90'])).toBe("route split: '2:90' is not <version>=<weight>, e.g. 2=90,3=10");
    expect(usageError(['route', 'a', 'split', '2=0'])).toBe('route split: at least one weight must be above 0');
    expect(usageError(['route', 'a', 'pin'])).toMatch(/route pin needs a version/);
    expect(usageError(['route', 'a', 'random'])).toMatch(/unknown policy 'random'/);
  });

  it('leaves trainer arguments to `pnpm models` as before', () => {
    expect(isRegistryCommand([])).toBe(false);
    expect(isRegistryCommand(['--only', 'iris-mlp'])).toBe(false);
    expect(isRegistryCommand(['list'])).toBe(true);
  });
});
