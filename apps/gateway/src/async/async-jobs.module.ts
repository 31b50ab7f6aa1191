import { Module, type DynamicModule } from '@nestjs/common';
import { jobQueueNames } from '@msp/contracts';
import { JobQueue, JobRepository } from '@msp/jobs';
import { NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { REDIS, type Redis } from '@msp/redis';
import { AsyncJobsController } from './async-jobs.controller.js';
import { ASYNC_JOBS_OPTIONS, type AsyncJobsOptions } from './async-jobs.options.js';
import { JobSubmitService } from './job-submit.service.js';

/**
 * The asynchronous pattern's HTTP edge: `/v1/async/...` submits, `/v1/jobs/...` state. Needs
 * the global MessagingModule, RedisModule and LOGGER, and the gateway's InferenceModule (the
 * same instance the OIP routes use, for model metadata) in `inference`.
 */
@Module({})
export class AsyncJobsModule {
  static forRoot(options: AsyncJobsOptions & { inference: DynamicModule }): DynamicModule {
    const { inference, ...settings } = options;
    const names = jobQueueNames(settings.namespace);
    return {
      module: AsyncJobsModule,
      imports: [inference],
      controllers: [AsyncJobsController],
      providers: [
        { provide: ASYNC_JOBS_OPTIONS, useValue: settings },
        { provide: JobQueue, inject: [NATS_CONNECTION], useFactory: (nc: NatsConnection) => new JobQueue(nc, names) },
        {
          provide: JobRepository,
          inject: [REDIS],
          useFactory: (redis: Redis) => new JobRepository(redis, names, settings.ttlSeconds),
        },
        JobSubmitService,
      ],
    };
  }
}
