import multipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { UploadOptions } from './upload.options.js';

/**
 * Registers `@fastify/multipart` (the parser of `multipart/form-data`) with explicit limits.
 * Call after creating the app and before `listen`, so the parser exists before the routes.
 * Fields are small and few; files are bounded in size and number.
 */
export async function registerUploads(app: NestFastifyApplication, options: Pick<UploadOptions, 'maxFileBytes' | 'maxFiles'>): Promise<void> {
  await app.register(multipart, {
    limits: {
      fileSize: options.maxFileBytes,
      files: options.maxFiles,
      fields: 16,
      fieldSize: 4096,
      parts: options.maxFiles + 16,
      headerPairs: 200,
    },
    throwFileSizeLimit: true,
  });
}
