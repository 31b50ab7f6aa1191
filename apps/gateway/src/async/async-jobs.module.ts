import { Module } from '@nestjs/common';
import { jobQueueNames } from '@msp/contracts';
import { JobQueue, JobRepository } from '@msp/jobs';
import { NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { REDIS, type Redis } from '@msp/redis';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { InferenceModule } from '../inference/inference.module.js';
import { AsyncJobsController } from './async-jobs.controller.js';
import { ASYNC_JOBS_OPTIONS } from './async-jobs.options.js';
import { JobSubmitService } from './job-submit.service.js';

/**
 * The asynchronous pattern's HTTP edge: `/v1/async/...` submits, `/v1/jobs/...` state. Needs
 * the global MessagingModule, RedisModule, LOGGER and GATEWAY_CONFIG; model metadata from
 * InferenceModule (the one instance the OIP routes use too).
 */
@Module({
  imports: [InferenceModule],
  controllers: [AsyncJobsController],
  exports: [JobSubmitService],
  providers: [
    { provide: ASYNC_JOBS_OPTIONS, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => config.jobs },
    {
      provide: JobQueue,
      inject: [NATS_CONNECTION, GATEWAY_CONFIG],
      useFactory: (nc: NatsConnection, config: GatewayConfig) => new JobQueue(nc, jobQueueNames(config.jobs.namespace)),
    },
    {
      provide: JobRepository,
      inject: [REDIS, GATEWAY_CONFIG],
      useFactory: (redis: Redis, config: GatewayConfig) =>
        new JobRepository(redis, jobQueueNames(config.jobs.namespace), config.jobs.ttlSeconds),
    },
    JobSubmitService,
  ],
})
export class AsyncJobsModule {}
