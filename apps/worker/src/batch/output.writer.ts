import { open, stat, type FileHandle } from 'node:fs/promises';

/**
 * An append-only file that starts at a known length: on resume it is cut back to the length the
 * checkpoint recorded, which drops whatever a killed run wrote after its last checkpoint.
 */
export class AppendFile {
  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    private length: number,
  ) {}

  /** Creates (or empties) the file. */
  static async create(path: string): Promise<AppendFile> {
    return new AppendFile(path, await open(path, 'w'), 0);
  }

  /** Opens an existing file cut to `length`; a missing file is fine only when `length` is 0. */
  static async resume(path: string, length: number): Promise<AppendFile> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && length === 0) return AppendFile.create(path);
      throw error;
    }
    if (size < length) {
      throw new Error(`${path} has ${size} bytes but the checkpoint counts ${length}: it was changed since; start over with --overwrite`);
    }
    const file = await open(path, 'r+');
    await file.truncate(length);
    await file.sync();
    return new AppendFile(path, file, length);
  }

  get bytes(): number {
    return this.length;
  }

  /** Writes at the end (positional, so nothing depends on the file offset). */
  async append(text: string): Promise<void> {
    if (text === '') return;
    const buffer = Buffer.from(text, 'utf8');
    let written = 0;
    while (written < buffer.length) {
      const { bytesWritten } = await this.file.write(buffer, written, buffer.length - written, this.length + written);
      written += bytesWritten;
    }
    this.length += buffer.length;
  }

  async sync(): Promise<void> {
    await this.file.sync();
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
