import {
  BrokenCircuitError,
  bulkhead,
  BulkheadRejectedError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  IsolatedCircuitError,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { ErrorCode, MspError } from '@msp/contracts';
import type { CircuitStateName, Metrics } from '@msp/telemetry';
import { Hedger } from './hedged-request.js';
import type { ResilienceOptions } from './resilience.options.js';

/** Thrown while the circuit is open: the caller may answer with a fallback instead. */
export class CircuitOpenError extends MspError {
  constructor(
    readonly model: string,
    retryAfterS: number,
  ) {
    super(
      ErrorCode.Unavailable,
      `model '${model}' is failing and its circuit is open: requests are refused at once; retry in ${retryAfterS} s`,
      { retryAfterS },
    );
  }
}

/** A failure that says the model is unwell (not the request wrong, not the model merely full). */
function isModelFailure(error: unknown): boolean {
  return !MspError.is(error) || error.code >= ErrorCode.Internal;
}

/**
 * What stands between the gateway and one model (or model version): a bulkhead bounding
 * in-flight plus queued requests (beyond it: 429 at once), a circuit breaker that opens after
 * consecutive failures or deadline overruns and lets one probe through after a pause (while
 * open: CircuitOpenError at once), and the hedger that fails a request over to another replica
 * when its first one does not answer. Bulkhead and breaker are cockatiel's.
 */
export class ModelGuard {
  private readonly bulkhead: BulkheadPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly hedger: Hedger;
  private readonly retryAfterS: number;

  constructor(
    readonly name: string,
    private readonly options: ResilienceOptions,
    metrics?: Metrics,
  ) {
    this.bulkhead = bulkhead(options.maxInFlight, options.maxQueued);
    this.breaker = circuitBreaker(handleWhen(isModelFailure), {
      halfOpenAfter: options.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(options.breakerFailures),
    });
    if (metrics) {
      // Dashboards and alerts see the breaker: msp_circuit_state, msp_circuit_transitions_total.
      metrics.circuit(name, 'closed', false);
      this.breaker.onStateChange((state) => metrics.circuit(name, circuitStateName(state)));
    }
    this.hedger = new Hedger(options.hedge);
    this.retryAfterS = Math.max(1, Math.ceil(options.breakerHalfOpenMs / 1000));
  }

  async run<T>(attempt: () => Promise<T>, deadline: number): Promise<T> {
    try {
      // The breaker outside: an open circuit refuses before a request takes a slot or waits for one.
      return await this.breaker.execute(() => this.admit(attempt, deadline));
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new CircuitOpenError(this.name, this.retryAfterS);
      }
      throw error;
    }
  }

  private async admit<T>(attempt: () => Promise<T>, deadline: number): Promise<T> {
    try {
      return await this.bulkhead.execute(() => this.hedger.run(attempt, deadline));
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw MspError.tooManyRequests(
          `model '${this.name}' is at capacity (${this.options.maxInFlight} requests in flight, ` +
            `${this.options.maxQueued} waiting): retry shortly`,
          1,
        );
      }
      // A replica that shed the request (429) says when to come back too.
      if (MspError.is(error) && error.code === ErrorCode.TooManyRequests && error.retryAfterS === undefined) {
        throw MspError.tooManyRequests(error.message, 1);
      }
      throw error;
    }
  }
}

function circuitStateName(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half_open';
  return 'open'; // Open, or Isolated (held open by hand)
}
