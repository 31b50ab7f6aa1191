import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { colourWanted, labelStyle, stripAnsi, style } from './ansi.js';
import { parseLogRecord, renderLogLine, type LogRecord } from './log-format.js';
import { appEntry, repoRoot, type AppName } from './repo-paths.js';

/** Where rendered lines go; `false` keeps them only in the service's history. */
export type LineSink = (line: string) => void;

export const stdoutSink: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Wide enough for the longest service name in the topologies (`predictor-iris-softmax`). */
export const LABEL_WIDTH = 22;

/** `name │ text`, the shape of every service line; for this tool's own messages too. */
export function labelled(name: string, text: string, colour: boolean, width = LABEL_WIDTH): string {
  return `${style(colour, labelStyle(name), name.padEnd(width))} │ ${text}`;
}

export interface ServiceSpec {
  /** The label on every line and the service's name in a topology. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Merged over this process's environment; a variable set to `undefined` is removed. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to the repository root. */
  cwd?: string;
}

export interface ServiceOptions {
  /** Defaults to this process's stdout. */
  output?: LineSink | false;
  /** Defaults to whether stdout is a terminal (`NO_COLOR` / `FORCE_COLOR` respected). */
  colour?: boolean;
  labelWidth?: number;
  /** Lines kept for error messages and log predicates; default 500. */
  history?: number;
  /**
   * A job meant to finish (the trainer): its exit is the caller's to judge, never reported as a
   * crash. Default false: a service is meant to run until stopped.
   */
  job?: boolean;
  /**
   * Start the child in its own process group, so a Ctrl-C in the terminal reaches only this
   * process, which then stops its children in order. Default false: children die with the group.
   */
  detached?: boolean;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** The line as the service wrote it. */
  text: string;
  /** The parsed pino record, when the line is a JSON object. */
  record?: LogRecord;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when this tool asked for it (`stop()` or `kill()`), false when the service died. */
  expected: boolean;
  /** Set when the process could not be started at all (e.g. the command does not exist). */
  error?: Error;
}

/** What `waitUntilReady` waits for. */
export type ReadinessCheck =
  /** Every URL answers `GET` with 200. */
  | { kind: 'http'; urls: readonly string[] }
  /** A line the service logs (including lines logged before the wait started). */
  | { kind: 'log'; match: (line: LogLine) => boolean; description: string }
  /** Any asynchronous test, e.g. a TCP or protocol probe. */
  | { kind: 'probe'; probe: () => Promise<boolean>; description: string };

export interface WaitOptions {
  timeoutMs: number;
  /** Poll interval for `http` and `probe` checks; default 200 ms. */
  intervalMs?: number;
  signal?: AbortSignal;
}

export class ServiceNotReadyError extends Error {
  override readonly name = 'ServiceNotReadyError';

  constructor(
    readonly service: string,
    message: string,
    readonly lastLines: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${message}${formatTail(lastLines)}`, options);
  }
}

export class ServiceExitedError extends Error {
  override readonly name = 'ServiceExitedError';

  constructor(
    readonly service: string,
    readonly exit: ExitInfo,
    readonly lastLines: readonly string[],
  ) {
    super(`${service} ${describeExit(exit)}${formatTail(lastLines)}`, { cause: exit.error });
  }
}

/** `exited with code 1`, `was killed by SIGKILL`, `could not start: …`. */
export function describeExit(exit: ExitInfo): string {
  if (exit.error) return `could not start: ${exit.error.message}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? '?'}`;
}

/** Processes still running, killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const orphan of live) orphan.kill('SIGKILL');
  });
}

/** Signals that pause or resume a process rather than end it. */
const NON_TERMINATING = new Set<NodeJS.Signals>(['SIGSTOP', 'SIGCONT', 'SIGTSTP']);

/**
 * One child process with labelled, readable output, readiness checks, and exit tracking: an
 * exit nobody asked for is reported loudly with its code and last lines.
 */
export class ServiceProcess {
  readonly name: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;

  private readonly child: ChildProcess;
  /** Rendered lines without colour, for error messages. */
  private readonly history: string[] = [];
  /** The lines as written, for log predicates that start after the line arrived. */
  private readonly recent: LogLine[] = [];
  private readonly historySize: number;
  private readonly lineListeners = new Set<(line: LogLine) => void>();
  private readonly exitListeners = new Set<(exit: ExitInfo) => void>();
  private readonly sink: LineSink | false;
  private readonly colour: boolean;
  private readonly labelWidth: number;
  private exitExpected = false;
  private exit: ExitInfo | undefined;

  constructor(spec: ServiceSpec, options: ServiceOptions = {}) {
    this.name = spec.name;
    this.sink = options.output ?? stdoutSink;
    this.colour = options.colour ?? colourWanted(process.stdout);
    this.historySize = options.history ?? 500;
    this.exitExpected = options.job ?? false;
    this.labelWidth = options.labelWidth ?? LABEL_WIDTH;

    this.child = spawn(spec.command, spec.args ?? [], {
      cwd: spec.cwd ?? repoRoot(),
      env: mergeEnv(process.env, spec.env ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    trackForExit(this.child);

    let resolveExited: (exit: ExitInfo) => void = () => undefined;
    this.exited = new Promise((resolve) => (resolveExited = resolve));

    // Both streams must be read to their end before the exit is reported, or the last lines
    // (often the reason for the exit) would be missing from the report.
    const streamsDone = Promise.all([this.readLines('stdout'), this.readLines('stderr')]);
    const processDone = new Promise<Omit<ExitInfo, 'expected'>>((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      // Without a pid the process never started; a later 'error' (a failed kill) ends nothing,
      // but is listened to with `on` so that it cannot go unhandled.
      this.child.on('error', (error) => {
        if (this.child.pid === undefined) resolve({ code: null, signal: null, error });
      });
    });
    void processDone.then(async (result) => {
      // …but not forever: a grandchild that inherited the pipes could hold them open.
      await Promise.race([streamsDone, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      const exit: ExitInfo = { ...result, expected: this.exitExpected };
      this.exit = exit;
      if (!exit.expected) this.reportUnexpectedExit(exit);
      for (const listener of this.exitListeners) listener(exit);
      resolveExited(exit);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** How it ended, once it has. */
  get exitInfo(): ExitInfo | undefined {
    return this.exit;
  }

  /** The last `count` lines, rendered without colour. */
  lastLines(count = 30): string[] {
    return this.history.slice(-count);
  }

  /** Called for every line from now on; returns the function that unsubscribes. */
  onLine(listener: (line: LogLine) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  /** Called once when the process exits (at once if it already has). */
  onExit(listener: (exit: ExitInfo) => void): () => void {
    if (this.exit) {
      listener(this.exit);
      return () => undefined;
    }
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /**
   * Resolves when `check` passes; rejects with `ServiceNotReadyError` on timeout (or abort) and
   * with `ServiceExitedError` when the process exits first. Both carry the last log lines.
   */
  async waitUntilReady(check: ReadinessCheck, { timeoutMs, intervalMs = 200, signal }: WaitOptions): Promise<void> {
    const started = Date.now();
    const what = check.kind === 'http' ? `GET ${check.urls.join(', ')} → 200` : check.description;
    let stopWaiting: () => void = () => undefined;
    const exitedFirst = new Promise<never>((_, reject) => {
      stopWaiting = this.onExit((exit) => reject(new ServiceExitedError(this.name, exit, this.lastLines())));
    });
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(), timeoutMs);
    const aborted = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
    try {
      await Promise.race([exitedFirst, this.pollUntil(check, intervalMs, aborted)]);
    } catch (error) {
      if (error instanceof ServiceExitedError) throw error;
      const reason = signal?.aborted ? 'aborted' : `not ready after ${Date.now() - started} ms`;
      throw new ServiceNotReadyError(this.name, `${reason}, waiting for ${what}`, this.lastLines(), { cause: error });
    } finally {
      clearTimeout(timeout);
      timer.abort(); // ends the poll loop when the exit won the race
      stopWaiting();
    }
  }

  /**
   * SIGTERM, then SIGKILL if the process is still there after `timeoutMs`. Resolves with how it
   * ended; stopping a service that has already exited just returns that.
   */
  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<ExitInfo> {
    if (this.exit) return this.exit;
    this.exitExpected = true;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` (default SIGKILL) at once, as failure tests need; the exit that follows is
   * expected and not reported as a crash. Await `exited` to see it happen.
   */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!NON_TERMINATING.has(signal)) this.exitExpected = true;
    this.signal(signal);
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.exit || this.child.pid === undefined) return;
    try {
      this.child.kill(signal);
    } catch {
      // It exited between the check and the signal: the exit handler reports it.
    }
  }

  private async readLines(stream: 'stdout' | 'stderr'): Promise<void> {
    const source = this.child[stream];
    if (!source) return;
    const lines = createInterface({ input: source, crlfDelay: Infinity });
    for await (const text of lines) this.accept({ stream, text, record: parseLogRecord(text) });
  }

  private accept(line: LogLine): void {
    const rendered = renderLogLine(line.text, { colour: this.colour });
    for (const part of rendered.split('\n')) {
      this.history.push(stripAnsi(part));
      if (this.sink) this.sink(labelled(this.name, part, this.colour, this.labelWidth));
    }
    this.recent.push(line);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);
    if (this.recent.length > this.historySize) this.recent.splice(0, this.recent.length - this.historySize);
    for (const listener of this.lineListeners) listener(line);
  }

  private async pollUntil(check: ReadinessCheck, intervalMs: number, signal: AbortSignal): Promise<void> {
    if (check.kind === 'log') {
      await this.waitForLine(check.match, signal);
      return;
    }
    const probe = check.kind === 'http' ? () => allReturn200(check.urls, signal) : check.probe;
    for (;;) {
      signal.throwIfAborted();
      if (await probe().catch(() => false)) return;
      await sleep(intervalMs, signal);
    }
  }

  private waitForLine(match: (line: LogLine) => boolean, signal: AbortSignal): Promise<void> {
    const earlier = [...this.recent];
    return new Promise((resolve, reject) => {
      const finish = (error?: unknown): void => {
        unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(String(error)));
      };
      const onAbort = (): void => finish(signal.reason);
      const unsubscribe = this.onLine((line) => {
        if (match(line)) finish();
      });
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      // Lines logged before the wait began count too.
      else if (earlier.some(match)) finish();
    });
  }

  private reportUnexpectedExit(exit: ExitInfo): void {
    const headline = style(this.colour, 'red', `✖ ${this.name} ${describeExit(exit)} — nobody asked it to stop`);
    if (this.sink) {
      this.sink(labelled(this.name, style(this.colour, 'bold', headline), this.colour, this.labelWidth));
      return;
    }
    // Quiet services still die loudly, with the lines that were not shown.
    process.stderr.write(`${headline}${formatTail(this.lastLines(20))}\n`);
  }
}

/** Starts one command as a service. */
export function startService(spec: ServiceSpec, options?: ServiceOptions): ServiceProcess {
  return new ServiceProcess(spec, options);
}

/** Starts `node apps/<app>/dist/main.js` with the same Node as this process. */
export function startApp(
  app: AppName,
  spec: Omit<ServiceSpec, 'command' | 'args'> & { args?: readonly string[] },
  options?: ServiceOptions,
): ServiceProcess {
  return startService({ ...spec, command: process.execPath, args: [appEntry(app), ...(spec.args ?? [])] }, options);
}

function mergeEnv(
  base: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, string | undefined>>,
): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

async function allReturn200(urls: readonly string[], signal: AbortSignal): Promise<boolean> {
  for (const url of urls) {
    const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) });
    await response.body?.cancel();
    if (response.status !== 200) return false;
  }
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function formatTail(lines: readonly string[]): string {
  if (lines.length === 0) return ' (it logged nothing)';
  return `; its last ${lines.length} log lines:\n${lines.map((line) => `  | ${line}`).join('\n')}`;
}
