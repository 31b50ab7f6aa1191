import { Module } from '@nestjs/common';
import { ParametersController } from './parameters.controller.js';
import { ParametersService } from './parameters.service.js';

/** Parameter-based serving: values followed live from KV (msp-parameters), and /v1/parameters. Needs the global MessagingModule. */
@Module({
  controllers: [ParametersController],
  providers: [ParametersService],
  exports: [ParametersService],
})
export class ParametersModule {}
