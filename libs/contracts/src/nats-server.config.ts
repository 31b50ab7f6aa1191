import type { NatsUser } from './nats-users.js';

/**
 * nats-server configuration rendered from the permissions table (`natsUsers`), so compose, k8s,
 * `pnpm start --secure` and the specs run the same rules. Two files: the base (liveness pings,
 * for every deployment) and the one with users, which includes the base.
 */

/**
 * How fast the server drops a client that stopped reading (a SIGSTOPped or wedged process): it
 * pings every interval and closes the connection after `max` unanswered pings, so a frozen
 * replica leaves its queue group within about (max + 1) × interval and requests go to the others.
 * The default (2 min × 2) would keep it there for minutes.
 */
export const NATS_LIVENESS = { pingIntervalS: 2, pingMax: 2 } as const;

export const NATS_BASE_CONFIG_FILE = 'nats.conf';
export const NATS_AUTH_CONFIG_FILE = 'nats-auth.conf';

/** The env variable a user's password comes from in the rendered config (nats-server reads `$VAR` from its environment). */
export function natsPasswordVariable(user: string): string {
  return `MSP_NATS_PASSWORD_${user.toUpperCase().replaceAll('-', '_')}`;
}

const HEADER = '# Generated from libs/contracts/src/nats-users.ts by `pnpm nats:config`; do not edit.';

export function natsBaseConfig(liveness: { pingIntervalS: number; pingMax: number } = NATS_LIVENESS): string {
  return [
    HEADER,
    '# Liveness: a client that answers no ping for (ping_max + 1) × ping_interval is dropped.',
    `ping_interval: "${liveness.pingIntervalS}s"`,
    `ping_max: ${liveness.pingMax}`,
    '',
  ].join('\n');
}

export interface AuthConfigOptions {
  /**
   * Passwords by user, written into the file (specs, `pnpm start --secure`); without them each
   * user's password is the variable `natsPasswordVariable(user)` of the server's environment.
   */
  passwords?: Readonly<Record<string, string>>;
  /** Inline the base settings instead of `include nats.conf` (a single file). */
  inlineBase?: boolean;
}

/** The users with their permissions; `include`s the base config (or inlines it). */
export function natsAuthConfig(users: readonly NatsUser[], options: AuthConfigOptions = {}): string {
  const lines = [
    HEADER,
    options.inlineBase ? natsBaseConfig().split('\n').slice(1).join('\n') : `include ${NATS_BASE_CONFIG_FILE}`,
    '',
    'authorization {',
    '  users: [',
  ];
  for (const user of users) {
    const password = options.passwords?.[user.user];
    if (options.passwords && password === undefined) throw new Error(`no password for NATS user ${user.user}`);
    lines.push(
      `    # ${user.description}`,
      '    {',
      `      user: ${quote(user.user)}`,
      `      password: ${password === undefined ? `$${natsPasswordVariable(user.user)}` : quote(password)}`,
      '      permissions: {',
      `        publish: ${rule(user.publish)}`,
      `        subscribe: { allow: ${list(user.subscribe)} }`,
      ...(user.allowResponses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    );
  }
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

function quote(value: string): string {
  return JSON.stringify(value);
}

/** An empty allow list would mean "no limit" to nats-server: nothing allowed is a deny of everything. */
function rule(values: readonly string[]): string {
  return values.length === 0 ? '{ deny: [">"] }' : `{ allow: ${list(values)} }`;
}

function list(values: readonly string[]): string {
  return `[\n${values.map((value) => `          ${quote(value)}`).join(',\n')}\n        ]`;
}
