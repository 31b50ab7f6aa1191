import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { MspError } from '@msp/contracts';

/**
 * The one error mapping of the NATS side: whatever a handler, pipe or interceptor throws leaves
 * as an `MspError`, whose code the transport sends as `Nats-Service-Error-Code` (Nest's default
 * RPC filter would turn every error but an `RpcException` into an opaque "Internal server error").
 */
@Catch()
export class NatsExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => (MspError.is(exception) ? exception : MspError.internal('internal error', exception)));
  }
}
