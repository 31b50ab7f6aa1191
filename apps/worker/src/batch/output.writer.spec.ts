import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppendFile } from './output.writer.js';

describe('AppendFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-batch-output-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates (emptying an old file) and appends, counting bytes in UTF-8', async () => {
    const path = join(dir, 'a.ndjson');
    await writeFile(path, 'old content\n');
    const file = await AppendFile.create(path);
    await file.append('{"label":"é"}\n');
    await file.append('');
    await file.append('{"row":1}\n');
    await file.sync();
    expect(file.bytes).toBe(Buffer.byteLength('{"label":"é"}\n{"row":1}\n'));
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('{"label":"é"}\n{"row":1}\n');
  });

  it('resumes cut back to the checkpointed length, dropping a partial tail', async () => {
    const path = join(dir, 'b.ndjson');
    await writeFile(path, '{"row":0}\n{"row":1}\n{"ro');
    const file = await AppendFile.resume(path, 20);
    await file.append('{"row":2}\n');
    await file.close();
    expect(await readFile(path, 'utf8')).toBe('{"row":0}\n{"row":1}\n{"row":2}\n');
  });

  it('creates a missing file only when nothing was checkpointed, and refuses a shortened one', async () => {
    const missing = join(dir, 'c.ndjson');
    await (await AppendFile.resume(missing, 0)).close();
    expect(await readFile(missing, 'utf8')).toBe('');
    await expect(AppendFile.resume(join(dir, 'd.ndjson'), 10)).rejects.toThrow(/ENOENT/);
    await expect(AppendFile.resume(missing, 10)).rejects.toThrow(/has 0 bytes but the checkpoint counts 10/);
  });
});
