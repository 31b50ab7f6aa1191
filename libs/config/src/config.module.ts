import { Global, Module, type DynamicModule } from '@nestjs/common';

/**
 * An app's configuration, loaded and validated once in its main, provided under the app's own
 * token to every module (global), so the app's modules import each other statically.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot<T>(token: symbol, config: T): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: token, useValue: config }],
      exports: [token],
    };
  }
}
