import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export class YamlSyntaxError extends Error {
  override readonly name = 'YamlSyntaxError';
}

/**
 * Parses every document of a YAML file (empty documents are skipped). `merge` enables YAML 1.1
 * merge keys (`<<: *anchor`), which Compose files use and Kubernetes manifests do not need.
 */
export function parseYamlDocuments(text: string, source: string, options: { merge?: boolean } = {}): unknown[] {
  const documents = parseAllDocuments(text, { merge: options.merge ?? false, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const values: unknown[] = [];
  for (const document of list) {
    const [error] = document.errors;
    if (error) throw new YamlSyntaxError(`${source}: ${error.message}`, { cause: error });
    const value: unknown = document.toJS({ maxAliasCount: 1_000 });
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

export function readYamlDocuments(file: string, options: { merge?: boolean } = {}): unknown[] {
  return parseYamlDocuments(readFileSync(file, 'utf8'), file, options);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
