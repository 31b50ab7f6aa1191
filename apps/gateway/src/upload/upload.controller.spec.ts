import 'reflect-metadata';
import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferRequest, InferResponse } from '@msp/contracts';
import { createOipApp, INFERENCE_BACKEND, OipExceptionFilter } from '@msp/oip-server';
import { createLogger, LoggerModule } from '@msp/telemetry';
import { UploadModule } from './upload.module.js';
import { registerUploads } from './upload.plugin.js';

/** The upload route on a loopback Fastify with a stand-in backend that echoes what it got. */
const seen: { model: string; request: InferRequest }[] = [];
const backend = {
  infer: async (model: string, _version: string | undefined, request: InferRequest): Promise<InferResponse> => {
    seen.push({ model, request });
    return { model_name: model, outputs: [{ name: 'count', datatype: 'INT32', shape: [1], data: [request.inputs[0]!.shape[0]!] }] };
  },
};

const logger = createLogger({ service: 'upload-spec', level: 'silent' });

/** Stands in for the gateway's global BackendModule. */
@Global()
@Module({ providers: [{ provide: INFERENCE_BACKEND, useValue: backend }], exports: [INFERENCE_BACKEND] })
class StandInBackendModule {}

@Module({
  imports: [
    LoggerModule.forRoot(logger),
    StandInBackendModule,
    UploadModule.forRoot({ maxFileBytes: 1024, maxFiles: 3, timeouts: { defaultMs: 1000, maxMs: 5000 } }),
  ],
  providers: [{ provide: APP_FILTER, useClass: OipExceptionFilter }],
})
class SpecModule {}

let app: NestFastifyApplication;

beforeAll(async () => {
  app = await createOipApp(SpecModule, { logger, bodyLimitBytes: 4096 });
  await registerUploads(app, { maxFileBytes: 1024, maxFiles: 3 });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
});

afterAll(async () => {
  await app?.close();
});

function multipart(files: Buffer[], fields: Record<string, string> = {}): { payload: Buffer; headers: Record<string, string> } {
  const boundary = 'spec-boundary';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  files.forEach((file, i) => {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${i}.png"\r\nContent-Type: image/png\r\n\r\n`),
      file,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function post(body: { payload: Buffer | string; headers: Record<string, string> }, model = 'mnist-image') {
  const response = await app.getHttpAdapter().getInstance().inject({ method: 'POST', url: `/v1/models/${model}/upload`, ...body });
  return { status: response.statusCode, body: response.json() as unknown, headers: response.headers };
}

describe('POST /v1/models/:model/upload', () => {
  it('turns the files into one BYTES input of base64 images for the model', async () => {
    const files = [Buffer.from([0x89, 0x50, 1]), Buffer.from('second')];
    const response = await post(multipart(files, { note: 'ignored' }));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ model_name: 'mnist-image', outputs: [{ name: 'count', datatype: 'INT32', shape: [1], data: [2] }] });
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
    expect(seen.at(-1)?.request.inputs).toEqual([
      { name: 'image', datatype: 'BYTES', shape: [2], data: files.map((file) => file.toString('base64')) },
    ]);
  });

  it('answers 413 for a file over the limit and for too many files', async () => {
    const big = await post(multipart([Buffer.alloc(1025)]));
    expect(big).toMatchObject({ status: 413, body: { error: 'a file is larger than this server accepts (the limit is 1024 bytes)' } });
    const many = await post(multipart([Buffer.from('a'), Buffer.from('b'), Buffer.from('c'), Buffer.from('d')]));
    expect(many).toMatchObject({ status: 413, body: { error: 'too many files: at most 3 per upload' } });
  });

  it('answers 400 for an upload without files and for a body that is not multipart', async () => {
    expect(await post(multipart([], { note: 'x' }))).toMatchObject({ status: 400, body: { error: expect.stringMatching(/no file/) } });
    const json = await post({ payload: '{}', headers: { 'content-type': 'application/json' } });
    expect(json).toMatchObject({ status: 400, body: { error: expect.stringMatching(/multipart\/form-data/) } });
  });
});
