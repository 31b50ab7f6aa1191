import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { modelsDir } from '@msp/topology';

export interface ModelsCliConfig {
  natsServers: string[];
  /** Where `import` reads `<name>/{manifest.json,model.onnx}` (MODELS_DIR, else <repo>/models). */
  modelsDir: string;
  /** Recorded as who promoted, retired or imported (MSP_OWNER, else the login name). */
  owner: string;
}

/** The one place the CLI reads the environment. */
export function loadModelsCliConfig(env: NodeJS.ProcessEnv = process.env): ModelsCliConfig {
  return {
    natsServers: (env['NATS_URL'] || 'nats://127.0.0.1:4222').split(',').map((server) => server.trim()),
    modelsDir: env['MODELS_DIR'] ? resolve(env['MODELS_DIR']) : modelsDir(),
    owner: env['MSP_OWNER'] || userInfo().username,
  };
}
