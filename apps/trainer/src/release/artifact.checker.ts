import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelName } from '@msp/contracts';
import { MANIFEST_FILE, ModelManifestSchema } from '@msp/contracts';
import { sha256Hex } from '@msp/model-runtime';

export type ArtifactState = { ok: true } | { ok: false; reason: string };

/**
 * Whether `<dir>/<name>` holds a usable release: a manifest that validates and names this
 * model, and a model file whose SHA-256 is the one the manifest records.
 */
export async function checkArtifact(modelsDir: string, name: ModelName): Promise<ArtifactState> {
  const dir = join(modelsDir, name);
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return { ok: false, reason: 'no manifest' };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'manifest is not JSON' };
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'manifest does not validate' };
  if (parsed.data.name !== name) return { ok: false, reason: `manifest names "${parsed.data.name}"` };
  // Releases from before monitoring lack an owner and the training reference (image models gained theirs later).
  if (parsed.data.owner === undefined || parsed.data.reference === undefined) {
    return { ok: false, reason: 'manifest has no owner or no training reference (older release)' };
  }
  let onnx: Buffer;
  try {
    onnx = await readFile(join(dir, parsed.data.onnx.file));
  } catch {
    return { ok: false, reason: `no ${parsed.data.onnx.file}` };
  }
  if (sha256Hex(onnx) !== parsed.data.onnx.sha256) return { ok: false, reason: 'model file sha256 differs from manifest' };
  return { ok: true };
}
