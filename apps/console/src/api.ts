/** The gateway's REST API as the console uses it: OIP v2 inference and the /v1 pattern routes. */

export interface OipTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: (number | string)[];
}

export interface InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: OipTensor[];
}

/** One answer as the console shows it: label, its probability, who answered, how long it took. */
export interface Answer {
  model: string;
  version: string;
  label: string;
  confidence: number;
  probabilities: number[];
  ms: number;
  parameters: Record<string, unknown>;
  headers: Headers;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    return new ApiError(response.status, `${response.status}: ${(JSON.parse(text) as { error?: string }).error ?? text}`);
  } catch {
    return new ApiError(response.status, `${response.status}: ${text.slice(0, 200)}`);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export async function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ body: unknown; headers: Headers; ms: number }> {
  const started = performance.now();
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw await failure(response);
  const json: unknown = await response.json();
  return { body: json, headers: response.headers, ms: performance.now() - started };
}

/** The label and probabilities of a classifier's answer (outputs `label` and `probabilities`). */
export function readAnswer(response: InferResponse, ms: number, headers: Headers): Answer {
  const probabilities = (response.outputs.find((output) => output.name === 'probabilities')?.data ?? []) as number[];
  const label = String(response.outputs.find((output) => output.name === 'label')?.data[0] ?? argmax(probabilities));
  return {
    model: response.model_name,
    version: response.model_version ?? '?',
    label,
    confidence: probabilities.length > 0 ? Math.max(...probabilities.slice(0, rowLength(response))) : Number.NaN,
    probabilities,
    ms,
    parameters: response.parameters ?? {},
    headers,
  };
}

function rowLength(response: InferResponse): number {
  const shape = response.outputs.find((output) => output.name === 'probabilities')?.shape;
  return shape?.at(-1) ?? Number.POSITIVE_INFINITY;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** One row of FP32 features to a model. */
export async function inferFloats(
  model: string,
  shape: number[],
  data: ArrayLike<number>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = { inputs: [{ name: 'input', shape, datatype: 'FP32', data: Array.from(data) }] };
  const answer = await postJson(`v2/models/${model}/infer`, body, headers);
  return readAnswer(answer.body as InferResponse, answer.ms, answer.headers);
}

/** An encoded image (PNG) to an image pipeline (prep-pred: `mnist-image`). */
export async function inferImage(model: string, png: Uint8Array): Promise<Answer> {
  let binary = '';
  for (const byte of png) binary += String.fromCharCode(byte);
  const body = { inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: [btoa(binary)] }] };
  const answer = await postJson(`v2/models/${model}/infer`, body);
  return readAnswer(answer.body as InferResponse, answer.ms, answer.headers);
}

/**
 * Follows Server-Sent Events, each to `onEvent`, until it returns true (resolves true), or the
 * stream ends or `timeoutMs` passes first (resolves false).
 */
export function followEvents(
  path: string,
  events: readonly string[],
  onEvent: (type: string, data: unknown) => boolean | void,
  timeoutMs = 30_000,
): Promise<boolean> {
  return new Promise((resolve) => {
    const source = new EventSource(path);
    const done = (ended: boolean): void => {
      clearTimeout(timer);
      source.close();
      resolve(ended);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    for (const type of events) {
      source.addEventListener(type, (event) => {
        let data: unknown;
        try {
          data = JSON.parse((event as MessageEvent<string>).data);
        } catch {
          data = (event as MessageEvent<string>).data;
        }
        if (onEvent(type, data) === true) done(true);
      });
    }
    // The server closes the stream after the last event; EventSource would reconnect.
    source.addEventListener('error', () => done(false));
  });
}

export function requestId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
