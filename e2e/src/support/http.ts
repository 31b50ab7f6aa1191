import { request as httpRequest } from 'node:http';

/** Small fetch helpers for the OIP routes; every call has an explicit timeout. */
export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  ms: number;
}

export async function http<T = unknown>(
  url: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<HttpResult<T>> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 15_000) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Leave non-JSON bodies as text; a test asserting the error shape will show it.
  }
  return { status: response.status, body: body as T, headers: response.headers, ms: performance.now() - started };
}

export function postJson<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  timeoutMs?: number,
): Promise<HttpResult<T>> {
  return http<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

export interface OipOutput {
  name: string;
  shape: number[];
  datatype: string;
  data: (number | string | boolean)[];
}

export interface OipResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  outputs: OipOutput[];
}

export function output(response: OipResponse, name: string): OipOutput {
  const found = response.outputs.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`response has no output '${name}': ${JSON.stringify(response).slice(0, 300)}`);
  return found;
}

export function inferBody(rows: ArrayLike<number>[], rowShape: number[]): unknown {
  const data: number[] = [];
  for (const row of rows) for (let i = 0; i < row.length; i += 1) data.push(row[i] as number);
  return { inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, ...rowShape], data }] };
}

export interface RawPostOptions {
  contentType?: string;
  timeoutMs?: number;
  /**
   * Send the headers alone and the body only after this long without an answer: a server that
   * refuses by content-length answers and closes at once, and a body already in flight could
   * lose that answer to the broken pipe.
   */
  headersFirstMs?: number;
}

/**
 * Posts a body the server may refuse before reading it all (413): like curl, it takes the early
 * response and ignores the broken pipe of the rest of the upload, which fetch reports as a failure.
 */
export function postEarlyAnswered(
  url: string,
  body: string | Buffer,
  { contentType = 'application/json', timeoutMs = 15_000, headersFirstMs = 1000 }: RawPostOptions = {},
): Promise<HttpResult<unknown>> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    });
    let answered = false;
    let bodySent = false;
    req.on('response', (response) => {
      answered = true;
      clearTimeout(sendBody);
      // Answered before the body went out: the request can never complete, so free its socket.
      if (!bodySent) response.once('end', () => req.destroy());
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep the text
        }
        const headers = new Headers();
        for (const [key, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(key, value);
        resolve({ status: response.statusCode ?? 0, body: parsed, headers, ms: performance.now() - started });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return;
      // A broken pipe before any answer would otherwise leave the promise pending until the test times out.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') {
        reject(new Error(`${url}: the connection broke (${error.code}) before an answer`));
      } else {
        reject(error);
      }
    });
    req.flushHeaders();
    const sendBody = setTimeout(() => {
      bodySent = true;
      req.end(body);
    }, headersFirstMs);
  });
}
