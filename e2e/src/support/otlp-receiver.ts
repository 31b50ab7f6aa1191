import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as the test reads it (ids in hex, as the OTLP/HTTP JSON exporter writes them). */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  links: { traceId: string; spanId: string }[];
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind?: number; links?: { traceId: string; spanId: string }[] }[] }[];
  }[];
}

export interface OtlpReceiver {
  /** The base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`; `GET <url>/spans` lists what arrived. */
  url: string;
  close(): Promise<void>;
}

/**
 * A minimal OTLP/HTTP trace receiver for the e2e suite (JSON encoding, what
 * `@opentelemetry/exporter-trace-otlp-http` sends): `POST /v1/traces` stores the spans,
 * `GET /spans` returns them all, so specs in other workers can read them over HTTP.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/v1/traces') {
      void readBody(request).then(
        (body) => {
          try {
            spans.push(...flatten(JSON.parse(body) as OtlpJson));
            response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          } catch {
            response.writeHead(400).end('{"error":"expected OTLP JSON"}');
          }
        },
        () => response.writeHead(400).end(),
      );
      return;
    }
    if (request.method === 'GET' && request.url === '/spans') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(spans));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function flatten(body: OtlpJson): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const resource of body.resourceSpans ?? []) {
    const service = resource.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value?.stringValue ?? '';
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        out.push({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind ?? 0,
          links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        });
      }
    }
  }
  return out;
}
