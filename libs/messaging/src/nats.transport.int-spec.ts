import 'reflect-metadata';
import { Controller, Injectable, Module, UseInterceptors, type CallHandler, type DynamicModule, type INestMicroservice, type NestInterceptor } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { map, type Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn, ErrorCode, MspError } from '@msp/contracts';
import { createLogger, LoggerModule, Metrics, Readiness, TelemetryModule } from '@msp/telemetry';
import { discoverServices } from './discovery.js';
import { MessagingModule } from './messaging.module.js';
import { NatsBus } from './nats.bus.js';
import { NatsRequestContext } from './nats-request.context.js';
import { startNatsService } from './nats-service.boot.js';
import { NatsServiceModule } from './nats-service.module.js';
import { NatsReadiness } from './nats.transport.js';

/** Integration: NatsTransport as Nest's microservice strategy against the real nats-server. */

const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'transport-spec', level: 'silent' });
const run = `t${process.pid}${Date.now()}`;
const serviceName = `msp-transport-spec-${run}`;
const subject = (name: string) => `msp.spec.${run}.${name}`;

/** An interceptor on the NATS side, to show Nest's enhancers run there. */
@Injectable()
class StampInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value: unknown) => ({ ...(value as object), stamped: true })));
  }
}

let slowStarted: () => void = () => undefined;
let slowFinished = false;

@Controller()
class SpecController {
  @MessagePattern('echo')
  @UseInterceptors(StampInterceptor)
  echo(@Payload() body: unknown, @Ctx() context: NatsRequestContext): unknown {
    return { body, requestId: context.requestId, subject: context.subject };
  }

  @MessagePattern('reject')
  reject(): never {
    throw MspError.notFound('no such thing');
  }

  @MessagePattern('crash')
  crash(): never {
    throw new TypeError('secret internals');
  }

  @MessagePattern('slow')
  async slow(): Promise<unknown> {
    slowStarted();
    await new Promise((resolve) => setTimeout(resolve, 300));
    slowFinished = true;
    return { slow: true };
  }
}

function specModule(readiness: Readiness): DynamicModule {
  @Module({ controllers: [SpecController], providers: [StampInterceptor] })
  class SpecModule {}
  return {
    module: SpecModule,
    imports: [
      LoggerModule.forRoot(logger),
      TelemetryModule.forRoot({ metrics: new Metrics({ service: 'spec' }), readiness }),
      MessagingModule.forRoot({ servers: [NATS_URL], name: 'transport-spec' }),
      NatsServiceModule.forRootAsync({
        useFactory: () => ({
          service: { name: serviceName, version: '0.1.0', description: 'transport spec', metadata: { model: 'spec' } },
          endpoints: Object.fromEntries(
            ['echo', 'reject', 'crash', 'slow'].map((name) => [name, { subject: subject(name), queue: 'q' }]),
          ),
          defaultTimeoutMs: 2000,
          shutdownGraceMs: 2000,
          maxInFlight: 4,
        }),
      }),
    ],
  };
}

describe('NatsTransport', () => {
  let client: NatsConnection;
  let bus: NatsBus;
  let app: INestMicroservice;
  const readiness = new Readiness(Object.values(NatsReadiness));

  beforeAll(async () => {
    client = await connect({ servers: NATS_URL });
    bus = new NatsBus(client);
    app = await startNatsService(specModule(readiness), logger);
  });

  afterAll(async () => {
    await app?.close();
    await client?.drain();
  });

  it('is ready once it serves, and answers at once from another connection', async () => {
    expect(readiness.report()).toEqual({ [NatsReadiness.nats]: true, [NatsReadiness.endpoints]: true });
    // No retry: a "no responders" here is the race the flush before "ready" prevents.
    const reply = await bus.request(subject('echo'), { a: 1 }, { deadline: deadlineIn(2000), requestId: 'req-1' });
    expect(reply).toEqual({ body: { a: 1 }, requestId: 'req-1', subject: subject('echo'), stamped: true });
  });

  it('sends an MspError code as the status header and anything else as a 500 without its message', async () => {
    const notFound = await bus.request(subject('reject'), {}, { deadline: deadlineIn(2000), requestId: 'r' }).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ code: ErrorCode.NotFound, message: 'no such thing' });
    const crash = await bus.request(subject('crash'), {}, { deadline: deadlineIn(2000), requestId: 'r' }).catch((e: unknown) => e);
    expect(crash).toMatchObject({ code: ErrorCode.Internal, message: 'internal error' });
  });

  it('registers the micro service with its metadata and endpoints', async () => {
    const [info, ...more] = await discoverServices(client, serviceName, 300);
    expect(more).toHaveLength(0);
    expect(info?.metadata).toMatchObject({ model: 'spec' });
    expect(info?.endpoints.map((endpoint) => [endpoint.name, endpoint.subject, endpoint.queue_group]).sort()).toEqual(
      ['crash', 'echo', 'reject', 'slow'].map((name) => [name, subject(name), 'q']),
    );
  });

  it('answers 429 at once to what is beyond MAX_IN_FLIGHT, and serves the rest', async () => {
    const calls = Array.from({ length: 6 }, () =>
      bus.request(subject('slow'), {}, { deadline: deadlineIn(3000), requestId: 'r' }).then(
        () => ({ ok: true }),
        (error: unknown) => ({ ok: false, error }),
      ),
    );
    const started = performance.now();
    const results = await Promise.all(calls);
    expect(results.filter((result) => result.ok)).toHaveLength(4);
    const shed = results.filter((result) => !result.ok);
    expect(shed).toHaveLength(2);
    expect(shed[0]).toMatchObject({ error: { code: ErrorCode.TooManyRequests, message: expect.stringMatching(/MAX_IN_FLIGHT/) } });
    expect(performance.now() - started).toBeLessThan(2000);
    slowFinished = false; // the next spec watches a slow request of its own
  });

  it('on close stops taking requests, finishes those in flight, and is no longer ready', async () => {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const slow = bus.request(subject('slow'), {}, { deadline: deadlineIn(3000), requestId: 'r' });
    await started;
    await app.close();
    expect(slowFinished).toBe(true);
    expect(await slow).toEqual({ slow: true });
    expect(readiness.report()[NatsReadiness.endpoints]).toBe(false);
    await expect(bus.request(subject('echo'), {}, { deadline: deadlineIn(500), requestId: 'r' })).rejects.toMatchObject({ code: ErrorCode.Unavailable });
  });
});
