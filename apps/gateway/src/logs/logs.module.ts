import { Module } from '@nestjs/common';
import { LogsController } from './logs.controller.js';

/** GET /v1/logs and POST /v1/feedback (prediction log, served by apps/monitor). Needs NatsBus (global). */
@Module({ controllers: [LogsController] })
export class LogsModule {}
