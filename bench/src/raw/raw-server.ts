import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/**
 * The raw references the fast-path bench measures us against (issue 12): what a user would
 * write by hand with no framework, serving the project's own model files with the same OIP
 * JSON bodies and answers (probabilities and label), so a ratio says what our layers cost.
 *
 *   RAW_MODE=single     node:http + onnxruntime in one process (vs web-single)
 *   RAW_MODE=front      node:http → NATS request (body passed through as it came) (vs the gateway)
 *   RAW_MODE=predictor  NATS queue subscriber → onnxruntime (vs a predictor); several models at once
 *
 * Env: RAW_MODELS (comma-separated), MODELS_DIR, RAW_PORT (single, front), NATS_URL (front,
 * predictor). It prints `raw ready` once it serves. Not part of the product: no checks beyond
 * what keeps it from crashing on the bench's own bodies.
 */
const mode = process.env['RAW_MODE'] ?? 'single';
const modelNames = (process.env['RAW_MODELS'] ?? 'iris-mlp').split(',').filter(Boolean);
const modelsDir = process.env['MODELS_DIR'] ?? 'models';
const port = Number(process.env['RAW_PORT'] ?? 0);
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const SUBJECT_PREFIX = 'raw.infer.';
const REQUEST_TIMEOUT_MS = 10_000;

interface RawModel {
  name: string;
  version: string;
  labels: string[];
  inputName: string;
  session: InferenceSession;
}

interface OipTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

async function loadModel(name: string): Promise<RawModel> {
  const manifest = JSON.parse(readFileSync(join(modelsDir, name, 'manifest.json'), 'utf8')) as {
    version: string;
    labels?: string[];
    inputs: { name: string }[];
    onnx: { file: string };
  };
  // The options an ordinary user would pick for a small CPU model on a shared machine.
  const session = await InferenceSession.create(join(modelsDir, name, manifest.onnx.file), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  return { name, version: manifest.version, labels: manifest.labels ?? [], inputName: manifest.inputs[0]?.name ?? 'input', session };
}

/** One OIP JSON request → the OIP JSON answer, as our predictor gives it (probabilities, then label). */
async function infer(model: RawModel, body: string): Promise<string> {
  const request = JSON.parse(body) as { id?: string; inputs: OipTensor[] };
  const input = request.inputs[0];
  if (!input) throw new Error('no input');
  const feeds = { [model.inputName]: new Tensor('float32', Float32Array.from(input.data), input.shape) };
  const results = await model.session.run(feeds);
  const probabilities = results['probabilities'] as Tensor;
  const data = probabilities.data as Float32Array;
  const classes = probabilities.dims[1] ?? data.length;
  const rows = data.length / classes;
  const labels: string[] = [];
  for (let row = 0; row < rows; row += 1) {
    let best = 0;
    for (let k = 1; k < classes; k += 1) if (data[row * classes + k]! > data[row * classes + best]!) best = k;
    labels.push(model.labels[best] ?? String(best));
  }
  return JSON.stringify({
    model_name: model.name,
    model_version: model.version,
    ...(request.id === undefined ? {} : { id: request.id }),
    outputs: [
      { name: 'probabilities', datatype: 'FP32', shape: [...probabilities.dims], data: Array.from(data) },
      { name: 'label', datatype: 'BYTES', shape: [rows], data: labels },
    ],
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `/v2/models/<name>/infer` → the model name; anything else → undefined. */
function modelOf(url: string | undefined): string | undefined {
  const match = /^\/v2\/models\/([^/]+)\/infer$/.exec(url ?? '');
  return match?.[1];
}

function send(res: ServerResponse, status: number, body: string | Uint8Array): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(handle: (name: string, body: Buffer) => Promise<string | Uint8Array>): void {
  const server = createServer((req, res) => {
    if (req.url === '/v2/health/ready') return send(res, 200, '{}');
    const name = modelOf(req.url);
    if (req.method !== 'POST' || name === undefined) return send(res, 404, '{"error":"not found"}');
    readBody(req)
      .then((body) => handle(name, body))
      .then((answer) => send(res, 200, answer))
      .catch((error: unknown) => send(res, 400, JSON.stringify({ error: String(error) })));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    console.log(`raw ready http=${typeof address === 'object' && address ? address.port : port}`);
  });
}

async function main(): Promise<void> {
  if (mode === 'front') {
    const nc: NatsConnection = await connect({ servers: natsUrl, name: 'raw-front' });
    listen(async (name, body) => (await nc.request(`${SUBJECT_PREFIX}${name}`, body, { timeout: REQUEST_TIMEOUT_MS })).data);
    return;
  }
  const models = new Map<string, RawModel>();
  for (const name of modelNames) models.set(name, await loadModel(name));
  if (mode === 'single') {
    listen((name, body) => {
      const model = models.get(name);
      return model ? infer(model, body.toString('utf8')) : Promise.reject(new Error(`no model ${name}`));
    });
    return;
  }
  const nc = await connect({ servers: natsUrl, name: 'raw-predictor' });
  for (const model of models.values()) {
    nc.subscribe(`${SUBJECT_PREFIX}${model.name}`, {
      queue: 'raw',
      callback: (error, msg) => {
        if (error) return;
        infer(model, msg.string()).then(
          (answer) => msg.respond(answer),
          (failure: unknown) => msg.respond(JSON.stringify({ error: String(failure) })),
        );
      },
    });
  }
  await nc.flush();
  console.log('raw ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
