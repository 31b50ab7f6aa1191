import { setTimeout as sleep } from 'node:timers/promises';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Service, ServiceMsg } from '@nats-io/services';
import { lastValueFrom } from 'rxjs';
import type { Logger, Metrics, Readiness, RequestObserver } from '@msp/telemetry';
import { ErrorCode } from '@msp/contracts';
import { retryJetStreamSetup } from './jetstream.storage.js';
import { addMicroService, respond, type EndpointRequest, type MicroServiceConfig } from './micro.service.js';
import type { NatsConnectionState } from './nats.connection.js';
import { NatsRequestContext } from './nats-request.context.js';

/** Readiness conditions the transport owns; a service lists them among its own. */
export const NatsReadiness = { nats: 'nats-connected', endpoints: 'endpoint-subscribed' } as const;

/** Where a `@MessagePattern(name)` handler is served: the pattern is the endpoint's name. */
export interface EndpointSpec {
  /**
   * The subject, or for a subject of this instance alone, a function of the micro service's id
   * (e.g. `msp.infer-replica.<model>.<id>`, which a caller uses to pick this replica itself).
   */
  subject: string | ((serviceId: string) => string);
  /** Replicas in one queue group share the load. */
  queue: string;
  metadata?: Record<string, string>;
  /** BYTES of a binary body as UTF-8 strings (default) or raw `Uint8Array`s (e.g. images). */
  bytesAs?: 'utf8' | 'raw';
  /** Numbers of a binary body as number[] (default) or the typed arrays onnxruntime takes. */
  numbersAs?: 'array' | 'typed';
  /** Handed to the handler as `context.tag`: what this endpoint serves when one handler serves several (e.g. a model). */
  tag?: string;
}

/**
 * One micro service among several of a process (a predictor serving several models has one per
 * model, each with its own metadata for discovery); every one serves the same `@MessagePattern`s.
 */
export interface NatsServiceUnit {
  /** Names the unit for `replaceService` (e.g. the model). */
  key: string;
  service: MicroServiceConfig;
  endpoints: Readonly<Record<string, EndpointSpec>>;
  /** `model` label of its request metrics. */
  metricsModel?: string;
}

/** Work a service pulls rather than answers (e.g. a JetStream consumer), on the same lifecycle. */
export interface NatsConsumer {
  /** Starts pulling; resolves once it is. */
  start(): Promise<void>;
  /** Stops pulling and lets what it had started finish (within its own grace). */
  stop(): Promise<void>;
}

export interface NatsServiceOptions {
  /** The micro service (`$SRV.PING|INFO|STATS.<name>`) the endpoints belong to; none for a pure consumer. */
  service?: MicroServiceConfig;
  /** Every `@MessagePattern` name of the app, with its subject and queue group. */
  endpoints?: Readonly<Record<string, EndpointSpec>>;
  consumers?: readonly NatsConsumer[];
  /** The deadline of a request that carries none. */
  defaultTimeoutMs: number;
  /** How long shutdown waits for requests in flight. */
  shutdownGraceMs: number;
  /** `model` label of the request metrics ('' when the service is not a model's). */
  metricsModel?: string;
  /** Several micro services instead of `service` + `endpoints` (e.g. one per model). */
  services?: readonly NatsServiceUnit[];
  /** Logged once everything is subscribed. */
  readyMessage?: string;
  /** The readiness condition that holds while it serves (default `endpoint-subscribed`; a worker says `consuming`). */
  servingCondition?: string;
  /**
   * Requests this process works on at once (all endpoints); one more is answered 429 at once
   * instead of queueing behind the others, so a caller can go elsewhere. Unbounded when unset.
   */
  maxInFlight?: number;
}

export interface NatsTransportDeps {
  nc: NatsConnection;
  natsState: NatsConnectionState;
  logger: Logger;
  metrics: Metrics;
  readiness: Readiness;
}

/**
 * Our NATS transport for Nest (`CustomTransportStrategy`): `@MessagePattern` handlers served as
 * endpoints of one `@nats-io/services` micro service, so `$SRV` discovery, queue groups, the
 * deadline / request-id / content-type headers, binary tensor bodies and error headers work as
 * for any NATS client. Nest's own NATS transport wraps messages in `{pattern,data,id}` instead.
 *
 * It owns the NATS side of the lifecycle: readiness (connected; every endpoint subscribed and
 * flushed, consumers started), work in flight, and the shutdown order — stop the service and the
 * consumers, let what is in flight finish; the connection drains after (MessagingModule).
 */
export class NatsTransport extends Server implements CustomTransportStrategy {
  /** The micro services served now, by unit key. */
  private readonly services = new Map<string, Service>();
  private readonly inFlight = new Set<Promise<void>>();
  private listening = false;
  private markStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private readonly deps: NatsTransportDeps,
    private readonly options: NatsServiceOptions,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  async close(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const { readiness, logger } = this.deps;
    readiness.set(this.servingCondition, false);
    await Promise.all([...this.services.values()].map((service) => service.stop()));
    await Promise.all((this.options.consumers ?? []).map((consumer) => consumer.stop()));
    if (this.inFlight.size > 0) {
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(this.options.shutdownGraceMs, undefined, { ref: false })]);
    }
    logger.info({ unfinished: this.inFlight.size }, 'NATS micro service stopped');
  }

  /** Resolves once every endpoint is subscribed (at once when it already is). */
  whenListening(): Promise<void> {
    return this.started;
  }

  /**
   * Serves the same handlers as a new micro service (new metadata, new subjects) and only then
   * stops the old one, which lets its requests in flight finish: a predictor that swaps its
   * model version in place is never without a subscriber, and discovery sees the new version.
   * `unit` names which one when the process serves several (`NatsServiceOptions.services`).
   */
  async replaceService(service: MicroServiceConfig, endpoints: Readonly<Record<string, EndpointSpec>>, unit?: string): Promise<void> {
    if (!this.listening) throw new Error('replaceService: the transport is not serving');
    const { nc, logger } = this.deps;
    const units = this.units;
    const key = unit ?? (units.length === 1 ? units[0]!.key : undefined);
    const current = units.find((candidate) => candidate.key === key);
    if (!current) throw new Error(`replaceService: no micro service '${String(key)}' (serving ${units.map((u) => u.key).join(', ')})`);
    const next = await addMicroService(nc, service);
    for (const pattern of this.messageHandlers.keys()) {
      const spec = endpoints[pattern];
      if (!spec) throw new Error(`replaceService: @MessagePattern('${pattern}') has no endpoint configured`);
      this.serve(next, pattern, spec, this.messageHandlers.get(pattern)!, current.metricsModel);
    }
    await nc.flush();
    const previous = this.services.get(current.key);
    this.services.set(current.key, next);
    await previous?.stop();
    logger.info(
      { microService: service.name, id: next.info().id, replaced: previous?.info().id, endpoints: Object.values(endpoints).map((e) => subjectOf(e, next.info().id)) },
      'NATS micro service replaced',
    );
  }

  /** `services`, or the one `service` with its `endpoints`. */
  private get units(): readonly NatsServiceUnit[] {
    const { services, service, endpoints = {}, metricsModel } = this.options;
    if (services) return services;
    return service ? [{ key: service.name, service, endpoints, ...(metricsModel === undefined ? {} : { metricsModel }) }] : [];
  }

  private get servingCondition(): string {
    return this.options.servingCondition ?? NatsReadiness.endpoints;
  }

  on(): never {
    throw new Error('NatsTransport has no events: read readiness or NatsConnectionState instead');
  }

  unwrap<T>(): T {
    return this.deps.nc as T;
  }

  private async start(): Promise<void> {
    const { nc, natsState, logger, readiness } = this.deps;
    readiness.set(NatsReadiness.nats, () => natsState.isConnected);
    const patterns = [...this.messageHandlers.keys()];
    const units = this.units;
    for (const { endpoints } of units) {
      for (const pattern of patterns) {
        if (!endpoints[pattern]) throw new Error(`@MessagePattern('${pattern}') has no endpoint (subject, queue) configured`);
      }
      for (const name of Object.keys(endpoints)) {
        if (!this.messageHandlers.has(name)) throw new Error(`endpoint '${name}' has no @MessagePattern('${name}') handler`);
      }
    }
    if (units.length === 0 && patterns.length > 0) throw new Error('endpoints need a micro service (NatsServiceOptions.service)');
    for (const { key, service: config, endpoints, metricsModel } of units) {
      const service = await addMicroService(nc, config);
      for (const pattern of patterns) this.serve(service, pattern, endpoints[pattern]!, this.messageHandlers.get(pattern)!, metricsModel);
      this.services.set(key, service);
    }
    for (const consumer of this.options.consumers ?? []) await consumer.start();
    // A round trip: the server has every subscription before we say ready, so a client on
    // another connection cannot get "no responders" from a ready service. A connection that drops
    // meanwhile is a reason to wait for the reconnect (which subscribes again), not to exit.
    await retryJetStreamSetup(() => nc.flush());
    this.listening = true;
    this.markStarted();
    readiness.set(this.servingCondition, true);
    logger.info(
      {
        microService: units[0]?.service.name,
        ids: [...this.services.values()].map((service) => service.info().id),
        endpoints: units.flatMap(({ key, endpoints }) =>
          patterns.map((pattern) => ({ subject: subjectOf(endpoints[pattern]!, this.services.get(key)!.info().id), queue: endpoints[pattern]!.queue })),
        ),
      },
      this.options.readyMessage ?? 'serving over NATS',
    );
  }

  private serve(service: Service, name: string, spec: EndpointSpec, handler: MessageHandler, metricsModel = ''): void {
    const { logger, metrics } = this.deps;
    // A replica's own subject is counted under its pattern (`…<model>.*`): one series, not one per process.
    const observer = metrics.requestObserver(subjectOf(spec, '*'), metricsModel);
    const invoke = async (request: EndpointRequest): Promise<unknown> =>
      lastValueFrom(this.transformToObservable(await handler(request.body, new NatsRequestContext(request, spec.tag))), {
        defaultValue: undefined,
      });
    service.addEndpoint(name, {
      subject: subjectOf(spec, service.info().id),
      queue: spec.queue,
      metadata: spec.metadata ?? {},
      handler: (error, msg) => {
        if (error) {
          logger.error({ err: error, endpoint: name }, 'endpoint subscription failed');
          return;
        }
        const limit = this.options.maxInFlight;
        if (limit !== undefined && this.inFlight.size >= limit) {
          shed(msg, limit, observer);
          return;
        }
        const decoding = { bytesAs: spec.bytesAs ?? 'utf8', numbersAs: spec.numbersAs ?? 'array' } as const;
        const work = respond(msg, invoke, logger, this.options.defaultTimeoutMs, decoding, observer);
        this.inFlight.add(work);
        const settle = (): void => void this.inFlight.delete(work);
        work.then(settle, settle);
      },
    });
  }
}

/** An endpoint's subject; a per-instance one is made from the micro service's id. */
function subjectOf(spec: EndpointSpec, serviceId: string): string {
  return typeof spec.subject === 'function' ? spec.subject(serviceId) : spec.subject;
}

/** The fast refusal of a full process: 429 with the error headers, no decoding, no queueing. */
function shed(msg: ServiceMsg, limit: number, observer: RequestObserver): void {
  const message = `busy: this replica already works on ${limit} requests (MAX_IN_FLIGHT); retry or let another replica answer`;
  msg.respondError(ErrorCode.TooManyRequests, message, JSON.stringify({ error: message }));
  observer.observe(ErrorCode.TooManyRequests, 0);
}
