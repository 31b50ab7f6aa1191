import { Module } from '@nestjs/common';
import { jobQueueNames } from '@msp/contracts';
import { JobQueue, JobRepository } from '@msp/jobs';
import { NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { REDIS, type Redis } from '@msp/redis';
import { WORKER_CONFIG } from '../config/config.module.js';
import type { WorkerConfig } from '../config/worker-config.schema.js';
import { JobConsumer } from './job.consumer.js';

/** The asynchronous pattern's worker: JetStream queue in, predictor over NATS, state in Redis. */
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
})
export class JobsModule {}
