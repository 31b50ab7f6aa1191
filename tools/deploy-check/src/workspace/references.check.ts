import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { CheckReport } from '../report.js';

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
}

interface TsConfig {
  references?: { path: string }[];
}

/**
 * Each workspace package's tsconfig references every workspace package it depends on. The
 * Dockerfile builds one app with `tsc -b apps/<app>`, which builds only what the references
 * name; a missing one compiles on a developer's machine (where `pnpm build` built every lib)
 * and fails in the image build with TS2307.
 */
export function checkProjectReferences(root: string, report: CheckReport): void {
  const folders = ['apps', 'libs', 'tools'].flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : [],
  );
  const byName = new Map<string, string>();
  for (const folder of folders) {
    const name = readJson<PackageJson>(join(folder, 'package.json'))?.name;
    if (name) byName.set(name, folder);
  }
  let checked = 0;
  for (const folder of folders) {
    const pkg = readJson<PackageJson>(join(folder, 'package.json'));
    const tsconfig = readJson<TsConfig>(join(folder, 'tsconfig.json'));
    if (!pkg || !tsconfig) continue;
    checked++;
    const referenced = new Set((tsconfig.references ?? []).map((reference) => resolve(folder, reference.path)));
    for (const [dependency, version] of Object.entries(pkg.dependencies ?? {})) {
      const target = byName.get(dependency);
      if (!version.startsWith('workspace:') || !target || referenced.has(target)) continue;
      const where = `${relative(root, folder)}/tsconfig.json`;
      report.problem(where, `no reference to ${relative(folder, target)} (${dependency}, a dependency in package.json): \`tsc -b ${relative(root, folder)}\` would not build it`);
    }
  }
  report.ok(`tsconfig references: ${checked} workspace packages reference the workspace packages they depend on`);
}

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}
