import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, type ModelManifest } from '@msp/contracts';

/** The ONNX file's name inside a model folder (`<modelsDir>/<name>/model.onnx`). */
export const ONNX_FILE = 'model.onnx';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes `<dir>/<name>/model.onnx` then `manifest.json`, each via a temporary file and a
 * rename, so a reader never sees a half-written file nor a manifest ahead of its model.
 * Shared by the trainer and `pnpm new:predictor`, so both write what `loadModel` reads.
 */
export async function writeArtifact(modelsDir: string, manifest: ModelManifest, onnx: Uint8Array): Promise<string> {
  const dir = join(modelsDir, manifest.name);
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, manifest.onnx.file), onnx);
  await writeAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

async function writeAtomically(path: string, content: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
