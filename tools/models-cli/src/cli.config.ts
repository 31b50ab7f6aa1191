import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { NatsEnvSchema, natsCredentialsOf, parseEnv, type NatsCredentials } from '@msp/config';
import { modelsDir } from '@msp/topology';

export interface ModelsCliConfig {
  natsServers: string[];
  /** Replicas of the registry's buckets when it creates them (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD (the `admin` user where NATS has users). */
  natsCredentials?: NatsCredentials | undefined;
  /** Where `import` reads `<name>/{manifest.json,model.onnx}` (MODELS_DIR, else <repo>/models). */
  modelsDir: string;
  /** Recorded as who promoted, retired or imported (MSP_OWNER, else the login name). */
  owner: string;
}

/** The one place the CLI reads the environment. */
export function loadModelsCliConfig(env: NodeJS.ProcessEnv = process.env): ModelsCliConfig {
  const nats = parseEnv('models', NatsEnvSchema, env);
  return {
    natsServers: nats.NATS_URL,
    jetStreamReplicas: nats.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(nats),
    modelsDir: env['MODELS_DIR'] ? resolve(env['MODELS_DIR']) : modelsDir(),
    owner: env['MSP_OWNER'] || userInfo().username,
  };
}
