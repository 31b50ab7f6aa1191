import { Module, type DynamicModule } from '@nestjs/common';
import { UploadController } from './upload.controller.js';
import { UPLOAD_OPTIONS, type UploadOptions } from './upload.options.js';

/**
 * The multipart upload route (`POST /v1/models/:model/upload`). Needs `registerUploads` on the
 * app (the multipart parser) and INFERENCE_BACKEND from a global module (BackendModule).
 */
@Module({})
export class UploadModule {
  static forRoot(options: UploadOptions): DynamicModule {
    return {
      module: UploadModule,
      controllers: [UploadController],
      providers: [{ provide: UPLOAD_OPTIONS, useValue: options }],
    };
  }
}
