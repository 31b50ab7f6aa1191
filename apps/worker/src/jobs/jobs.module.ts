import { Module } from '@nestjs/common';
import { jobQueueNames } from '@msp/contracts';
import { JobQueue, JobRepository } from '@msp/jobs';
import { NATS_CONNECTION, NatsServiceModule, type NatsConnection } from '@msp/messaging';
import { REDIS, type Redis } from '@msp/redis';
import { WORKER_CONFIG } from '../config/config.module.js';
import type { WorkerConfig } from '../config/worker-config.schema.js';
import { WorkerReadiness } from '../health/worker.readiness.js';
import { JobConsumer } from './job.consumer.js';

/** The job queue, the job records and their consumer. */
@Module({
  providers: [
    {
      provide: JobQueue,
      inject: [NATS_CONNECTION, WORKER_CONFIG],
      useFactory: (nc: NatsConnection, config: WorkerConfig) => new JobQueue(nc, jobQueueNames(config.jobsNamespace)),
    },
    {
      provide: JobRepository,
      inject: [REDIS, WORKER_CONFIG],
      useFactory: (redis: Redis, config: WorkerConfig) =>
        new JobRepository(redis, jobQueueNames(config.jobsNamespace), config.jobTtlSeconds),
    },
    JobConsumer,
  ],
  exports: [JobConsumer],
})
class JobConsumerModule {}

/**
 * The asynchronous pattern's worker: JetStream queue in, predictor over NATS, state in Redis.
 * The consumer runs on the NATS transport (no endpoints), which starts it, reports it ready and
 * stops it before NATS drains.
 */
@Module({
  imports: [
    JobConsumerModule,
    NatsServiceModule.forRootAsync({
      imports: [JobConsumerModule],
      inject: [JobConsumer, WORKER_CONFIG],
      useFactory: (consumer: JobConsumer, config: WorkerConfig) => ({
        consumers: [consumer],
        defaultTimeoutMs: config.jobTimeoutMs,
        shutdownGraceMs: config.shutdownGraceMs,
        servingCondition: WorkerReadiness.consuming,
      }),
    }),
  ],
})
export class JobsModule {}
