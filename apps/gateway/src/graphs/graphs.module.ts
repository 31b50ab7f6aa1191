import { Module, type DynamicModule } from '@nestjs/common';
import { TimeLagController } from '../time-lag/time-lag.controller.js';
import { TimeLagStore } from '../time-lag/time-lag.store.js';
import { GatewayBackend } from './gateway.backend.js';
import { loadGraphDir } from './graph.loader.js';
import { GRAPHS, GraphService } from './graph.service.js';

export interface GraphsModuleOptions {
  /** Where the graph files are (`GRAPHS_DIR`); a missing directory means no graphs. */
  dir: string;
  /** The module exporting NatsBackend, PredictorClient and PreprocessClient (InferenceModule). */
  inference: DynamicModule;
}

/**
 * Graphs as data: loads and validates every graph file now — a bad file throws a
 * GraphDefinitionError naming the file and the path in it, so the gateway refuses to start —
 * and provides GatewayBackend (graphs first, then models) and the time-lag routes.
 * Needs LOGGER and REDIS from global modules.
 */
@Module({})
export class GraphsModule {
  static forRoot(options: GraphsModuleOptions): DynamicModule {
    const graphs = loadGraphDir(options.dir);
    return {
      module: GraphsModule,
      imports: [options.inference],
      controllers: [TimeLagController],
      providers: [{ provide: GRAPHS, useValue: graphs }, GraphService, GatewayBackend, TimeLagStore],
      exports: [GatewayBackend, GraphService],
    };
  }
}
