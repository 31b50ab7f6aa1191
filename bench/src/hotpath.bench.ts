import { join, resolve } from 'node:path';
import { repoRoot } from '@msp/topology';

/**
 * `node bench/dist/hotpath.bench.js [checkout]`: µs per call of the per-request functions the
 * CPU profiles named (issue 12), on a 784-float image request, in this process: parsing the OIP
 * body, building the onnxruntime tensor and back, the prediction log's record. Given another
 * built checkout (e.g. an older commit's), it times that one's functions in the same process,
 * alternating, so the two can be compared before/after. Env: HOTPATH_ROUNDS (default 5).
 */
interface Functions {
  parseInferRequest(body: unknown): { inputs: { name: string; datatype: string; shape: number[]; data: unknown }[] };
  toOrtTensor(tensor: unknown): { data: unknown; type: string; dims: readonly number[] };
  fromOrtTensor(name: string, tensor: unknown): unknown;
  toRecord(entry: unknown, maxDataBytes: number): unknown;
  encodeRecord(record: unknown): string;
  /** What is published since the record's tensors are stringified once; absent in older checkouts. */
  encodePrediction?(entry: unknown, maxDataBytes: number): string;
}

async function load(root: string): Promise<Functions> {
  const from = (path: string) => import(join(root, path)) as Promise<Record<string, unknown>>;
  const contracts = await from('libs/contracts/dist/index.js');
  const codec = await from('libs/model-runtime/dist/ort-tensor.codec.js');
  const record = await from('libs/prediction-log/dist/prediction.record.js');
  return { ...contracts, ...codec, ...record } as unknown as Functions;
}

const image = Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) / 255);
const text = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: image }] });

function cases(f: Functions): Record<string, () => unknown> {
  const body: unknown = JSON.parse(text);
  const request = f.parseInferRequest(body);
  const tensor = f.toOrtTensor(request.inputs[0]);
  const outputs = [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10], data: image.slice(0, 10) }];
  const entry = { requestId: 'r', pattern: 'sync', model: 'mnist-cnn', version: '1', inputs: request.inputs, outputs, status: 200, latencyMs: { total: 1 }, ts: 0 };
  return {
    // Neither version changes the body it is given, so one parsed body serves every call.
    'parseInferRequest (parsed body)': () => f.parseInferRequest(body),
    'toOrtTensor (number[] → Float32Array)': () => f.toOrtTensor(request.inputs[0]),
    'fromOrtTensor (Float32Array → number[])': () => f.fromOrtTensor('x', tensor),
    // What the publisher encodes per record: encodePrediction, or toRecord + encodeRecord before it existed.
    'prediction log record as published': f.encodePrediction
      ? () => f.encodePrediction!(entry, 4096)
      : () => f.encodeRecord(f.toRecord(entry, 4096)),
  };
}

function time(run: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(500, iterations); i += 1) run();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) run();
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

async function main(): Promise<void> {
  const rounds = Number(process.env['HOTPATH_ROUNDS'] ?? 5);
  const checkouts: [string, string][] = [['this checkout', repoRoot()]];
  if (process.argv[2]) checkouts.push(['other checkout', resolve(process.argv[2])]);
  const suites = await Promise.all(checkouts.map(async ([label, root]) => [label, cases(await load(root))] as const));
  const results = new Map<string, number[]>();
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? suites : [...suites].reverse();
    for (const [label, functions] of order) {
      for (const [name, run] of Object.entries(functions)) {
        const key = `${name}|${label}`;
        results.set(key, [...(results.get(key) ?? []), time(run, 2000)]);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  console.log(`µs per call, median of ${rounds} alternated rounds (min–max)`);
  for (const name of Object.keys(suites[0]![1])) {
    const cells = suites.map(([label]) => {
      const values = results.get(`${name}|${label}`) ?? [];
      return `${label}: ${median(values).toFixed(1)} (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`;
    });
    const ratio =
      suites.length === 2
        ? `  this/other ${(median(results.get(`${name}|this checkout`)!) / median(results.get(`${name}|other checkout`)!)).toFixed(2)}`
        : '';
    console.log(`  ${name.padEnd(42)} ${cells.join('  ')}${ratio}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
