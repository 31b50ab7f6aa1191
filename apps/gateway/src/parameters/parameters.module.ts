import { Module } from '@nestjs/common';
import { ManagementAuth } from './management-auth.js';
import { ParametersController } from './parameters.controller.js';
import { ParametersService } from './parameters.service.js';

/** Parameter-based serving: values followed live from KV (msp-parameters), and /v1/parameters. Needs the global MessagingModule. */
@Module({
  controllers: [ParametersController],
  providers: [ParametersService, ManagementAuth],
  exports: [ParametersService, ManagementAuth],
})
export class ParametersModule {}
