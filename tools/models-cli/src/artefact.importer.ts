import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MANIFEST_FILE, ModelManifestSchema, type ReleaseRecord } from '@msp/contracts';
import { type ModelRegistry } from '@msp/registry';

export interface ImportResult {
  imported: ReleaseRecord[];
  /** Models the registry already knew: left as they are. */
  known: string[];
}

/**
 * Registers `<modelsDir>/<name>/{manifest.json,model.onnx}` as serving v1 for every model the
 * registry has no version of, so a fresh clone's `pnpm start` (which trains into models/ first)
 * has something for model-load predictors to fetch. Idempotent: known models are left alone.
 */
export async function importArtefacts(registry: ModelRegistry, modelsDir: string, owner: string): Promise<ImportResult> {
  const known = new Set(await registry.models());
  const result: ImportResult = { imported: [], known: [] };
  const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (known.has(entry.name)) {
      result.known.push(entry.name);
      continue;
    }
    const dir = join(modelsDir, entry.name);
    const manifest = ModelManifestSchema.parse(JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')));
    const onnx = await readFile(join(dir, basename(manifest.onnx.file)));
    const digest = createHash('sha256').update(onnx).digest('hex');
    if (digest !== manifest.onnx.sha256) {
      throw new Error(`${join(dir, manifest.onnx.file)}: sha256 ${digest} does not match its manifest (${manifest.onnx.sha256})`);
    }
    const record = await registry.register({
      manifest,
      onnx,
      status: 'candidate',
      metrics: manifest.metrics,
      params: manifest.training,
      owner,
    });
    result.imported.push(await registry.promote(record.name, record.version, { reason: `imported from ${dir}` }));
  }
  return result;
}
