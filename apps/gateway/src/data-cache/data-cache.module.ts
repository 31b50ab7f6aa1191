import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DATA_CACHE_OPTIONS, type DataCacheOptions } from './data-cache.options.js';
import { DataCacheService } from './data-cache.service.js';
import { ItemClient } from './item.client.js';

/** The data-cache pattern at the gateway: inputs by `parameters.item_id`, for every path that infers. */
@Global()
@Module({})
export class DataCacheModule {
  static forRoot(options: DataCacheOptions): DynamicModule {
    return {
      module: DataCacheModule,
      providers: [{ provide: DATA_CACHE_OPTIONS, useValue: options }, ItemClient, DataCacheService],
      exports: [DataCacheService],
    };
  }
}
