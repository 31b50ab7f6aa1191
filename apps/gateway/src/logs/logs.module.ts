import { Module } from '@nestjs/common';
import { LogsController } from './logs.controller.js';

/** GET /v1/logs, POST /v1/feedback, GET /v1/monitoring/:model (served by apps/monitor). Needs NatsBus (global). */
@Module({ controllers: [LogsController] })
export class LogsModule {}
