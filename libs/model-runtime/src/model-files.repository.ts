import { readFile } from 'node:fs/promises';
import { ModelLoadError } from './model-load.error.js';

/** Reads a model's files from disk; a missing or unreadable file becomes a ModelLoadError naming it. */
export class ModelFilesRepository {
  async readText(file: string, what: string): Promise<string> {
    return (await this.read(file, what)).toString('utf8');
  }

  async readBytes(file: string, what: string): Promise<Uint8Array> {
    return this.read(file, what);
  }

  private async read(file: string, what: string): Promise<Buffer> {
    try {
      return await readFile(file);
    } catch (error) {
      const reason = isMissing(error) ? 'does not exist' : `cannot be read (${String(error)})`;
      throw new ModelLoadError(`${what} ${file} ${reason}`, file, { cause: error });
    }
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
