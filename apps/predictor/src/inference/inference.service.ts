import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { MspError, remainingMs, type InferRequest, type InferResponse, type WireInferRequest } from '@msp/contracts';
import { LOGGER, Metrics, type Logger } from '@msp/telemetry';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { ServedModels, type ServedModel } from '../model/served-model.js';

export interface InferenceContext {
  requestId: string;
  /** Absolute deadline (epoch ms) of the caller. */
  deadline: number;
}

/**
 * One inference, whichever door it came in by (NATS or in-process HTTP), so both answer alike:
 * the optional fault delay and failure, a deadline check, the runner, the OIP response. (Work in flight at
 * shutdown is the transport's and the HTTP server's business.)
 */
@Injectable()
export class InferenceService {
  constructor(
    @Inject(ServedModels) private readonly models: ServedModels,
    @Inject(PREDICTOR_CONFIG) private readonly config: PredictorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** The served model of that name; 404 naming what this process serves. */
  served(model: string): ServedModel {
    const served = this.models.find(model);
    if (!served) throw MspError.notFound(`unknown model '${model}' (this predictor serves ${this.models.describe()})`);
    return served;
  }

  /** Runs a request parsed by `parseInferRequest` or decoded from a binary body (the runner checks it against the model). */
  async infer(model: string, request: InferRequest | WireInferRequest, context: InferenceContext): Promise<InferResponse> {
    const served = this.served(model);
    if (this.config.faultDelayMs > 0) await this.faultDelay(model, context);
    if (this.config.faultErrorPercent > 0 && Math.random() * 100 < this.config.faultErrorPercent) {
      throw MspError.internal(`model '${model}' fails ${this.config.faultErrorPercent} % of requests on purpose (FAULT_ERROR_PERCENT)`);
    }
    if (remainingMs(context.deadline) <= 0) {
      throw MspError.deadlineExceeded(`the deadline passed before model '${model}' could run`);
    }
    // The version that runs is the one the response names, even when a swap happens meanwhile.
    return served.run(async (runner) => {
      const started = performance.now();
      if (this.config.faultBusyMs > 0) await this.busy(this.config.faultBusyMs);
      const outputs = await runner.infer(request, { deadline: context.deadline });
      const ms = performance.now() - started;
      this.metrics?.inference(runner.name, ms / 1000);
      this.logger.debug({ requestId: context.requestId, ms, rows: request.inputs[0]?.shape[0] }, 'inference done');
      return {
        model_name: runner.name,
        model_version: runner.version,
        ...(request.id === undefined ? {} : { id: request.id }),
        outputs,
      };
    });
  }

  /**
   * FAULT_BUSY_MS of the event loop's time, on the next turn: like onnxruntime's `run` (a
   * synchronous native call behind setImmediate), so requests queue here as they would for a
   * heavier model, and MAX_IN_FLIGHT sees them.
   */
  private async busy(ms: number): Promise<void> {
    await nextTurn();
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // spinning on purpose: this is the model's "work"
    }
  }

  /** Waits FAULT_DELAY_MS, but never past the deadline: a request that would overrun gets a 504 instead. */
  private async faultDelay(model: string, context: InferenceContext): Promise<void> {
    const delayMs = this.config.faultDelayMs;
    const remaining = remainingMs(context.deadline);
    if (remaining < delayMs) {
      await sleep(Math.max(0, remaining));
      throw MspError.deadlineExceeded(
        `model '${model}' is slowed by FAULT_DELAY_MS=${delayMs}; the request's deadline ` +
          `(${Math.max(0, Math.round(remaining))} ms) passed first`,
      );
    }
    await sleep(delayMs);
  }
}
