import type { InferRequest, InferResponse } from '@msp/contracts';
import type { PredictionLog } from '@msp/prediction-log';
import type { InferContext, InferenceBackend } from './inference.backend.js';

/**
 * Runs an inference on the backend and records it in the prediction log (when the app has one)
 * under the backend's pattern and experiment: what every HTTP route that answers a model's
 * prediction does (OIP, the seeds' compat API, image upload), so none of them is left out.
 */
export function inferLogged(
  backend: InferenceBackend,
  log: PredictionLog | undefined,
  model: string,
  version: string | undefined,
  request: InferRequest,
  context: InferContext,
): Promise<InferResponse> {
  const answer = backend.infer(model, version, request, context);
  log?.follow(
    {
      requestId: context.requestId,
      pattern: backend.predictionPattern?.(model) ?? 'sync',
      model,
      version,
      inputs: request.inputs,
      experiment: backend.experimentOf?.(model, request, context),
      experimentOfAnswer: (response) => backend.experimentOfAnswer?.(model, response),
      trace: context.trace,
    },
    answer,
  );
  return answer;
}
