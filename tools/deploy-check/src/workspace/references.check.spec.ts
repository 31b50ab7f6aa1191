import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckReport } from '../report.js';
import { checkProjectReferences } from './references.check.js';

const repo = join(import.meta.dirname, '..', '..', '..', '..');

describe('tsconfig project references', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const problems = (root: string): string[] => {
    const report = new CheckReport();
    checkProjectReferences(root, report);
    return report.problemLines();
  };

  it('accepts the workspace as it is', () => {
    expect(problems(repo)).toEqual([]);
  });

  it('names an app that depends on a lib its tsconfig does not reference', () => {
    dir = mkdtempSync(join(tmpdir(), 'msp-refs-'));
    for (const folder of ['apps/gateway', 'libs/jobs', 'libs/contracts']) {
      for (const file of ['package.json', 'tsconfig.json']) cpSync(join(repo, folder, file), join(dir, folder, file));
    }
    const tsconfigPath = join(dir, 'apps/gateway/tsconfig.json');
    const tsconfig = JSON.parse(readFileSync(tsconfigPath, 'utf8')) as { references: { path: string }[] };
    tsconfig.references = tsconfig.references.filter((reference) => !reference.path.endsWith('libs/jobs'));
    writeFileSync(tsconfigPath, JSON.stringify(tsconfig));
    expect(problems(dir)).toEqual([
      'apps/gateway/tsconfig.json: no reference to ../../libs/jobs (@msp/jobs, a dependency in package.json): `tsc -b apps/gateway` would not build it',
    ]);
  });
});
