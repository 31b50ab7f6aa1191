import { resolve } from 'node:path';
import { MODEL_NAMES } from '@msp/contracts';
import { describe, expect, it } from 'vitest';
import { CliArgsError, parseCliArgs } from './cli-args.parser.js';

describe('parseCliArgs', () => {
  it('defaults to every model, version 1, no skipping', () => {
    expect(parseCliArgs([])).toEqual({ models: [...MODEL_NAMES], missingOnly: false, version: '1', shuffleLabels: false, help: false });
  });

  it('reads --only (in catalogue order), --missing, --out and --version', () => {
    expect(parseCliArgs(['--only', 'mnist-cnn,iris-mlp', '--missing', '--out', 'x/y', '--version', '2.0-rc'])).toEqual({
      models: ['iris-mlp', 'mnist-cnn'],
      missingOnly: true,
      outDir: resolve('x/y'),
      version: '2.0-rc',
      shuffleLabels: false,
      help: false,
    });
    expect(parseCliArgs(['--only=iris-trees']).models).toEqual(['iris-trees']);
  });

  it('reads --model (release through the registry), --no-release, --keep and --shuffle-labels', () => {
    expect(parseCliArgs(['--model', 'iris-mlp'])).toMatchObject({ models: ['iris-mlp'], registry: { release: true, keep: 3, search: false }, shuffleLabels: false });
    expect(parseCliArgs(['--model', 'iris-mlp', '--no-release', '--keep', '5', '--shuffle-labels', '--as', 'iris-x', '--search'])).toMatchObject({
      registry: { release: false, keep: 5, as: 'iris-x', search: true },
      shuffleLabels: true,
    });
  });

  it.each([
    [['--only', 'iris-mlp,resnet'], /unknown model\(s\) in --only: resnet/],
    [['--only', ','], /at least one/],
    [['--version', 'a b'], /--version/],
    [['--frobnicate'], /frobnicate/],
    [['--out'], /--out/],
    [['stray'], /stray|positional/i],
    [['--model', 'resnet'], /unknown model 'resnet' \(known: iris-softmax/],
    [['--model', 'iris-mlp', '--only', 'iris-mlp'], /does not combine with --only/],
    [['--no-release'], /go with --model/],
    [['--search'], /go with --model/],
    [['--model', 'iris-mlp', '--as', 'Bad_Name'], /--as Bad_Name: a kebab-case/],
    [['--model', 'iris-mlp', '--keep', '0'], /--keep 0/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliArgsError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
