import { z } from 'zod';
import { TensorSpecSchema, type TensorSpec } from './datatypes.js';
import { TrainingReferenceSchema, type TrainingReference } from './manifest.schema.js';
import { PredictorMetadataKeys as Keys } from './subjects.js';

/** What a predictor advertises about its model in its NATS micro service info. */
export interface PredictorModel {
  model: string;
  version: string;
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  labels: string[];
  owner?: string | undefined;
  description?: string | undefined;
  reference?: TrainingReference | undefined;
}

const JsonSpecs = z.array(TensorSpecSchema);
const JsonLabels = z.array(z.string());

/** Micro service metadata is a flat string map, so the lists travel as JSON strings. */
export function encodePredictorMetadata(model: PredictorModel): Record<string, string> {
  return {
    [Keys.model]: model.model,
    [Keys.version]: model.version,
    [Keys.platform]: model.platform,
    [Keys.inputs]: JSON.stringify(model.inputs),
    [Keys.outputs]: JSON.stringify(model.outputs),
    [Keys.labels]: JSON.stringify(model.labels),
    ...(model.owner === undefined ? {} : { [Keys.owner]: model.owner }),
    ...(model.description === undefined ? {} : { [Keys.description]: model.description }),
    ...(model.reference === undefined ? {} : { [Keys.reference]: JSON.stringify(model.reference) }),
  };
}

/** Returns undefined for metadata that is not a predictor's (or is malformed). */
export function decodePredictorMetadata(metadata: Record<string, string> | undefined): PredictorModel | undefined {
  if (!metadata) return undefined;
  try {
    const model = metadata[Keys.model];
    const version = metadata[Keys.version];
    if (!model || !version) return undefined;
    const reference = metadata[Keys.reference];
    return {
      model,
      version,
      platform: metadata[Keys.platform] ?? 'unknown',
      inputs: JsonSpecs.parse(JSON.parse(metadata[Keys.inputs] ?? '[]')),
      outputs: JsonSpecs.parse(JSON.parse(metadata[Keys.outputs] ?? '[]')),
      labels: JsonLabels.parse(JSON.parse(metadata[Keys.labels] ?? '[]')),
      owner: metadata[Keys.owner],
      description: metadata[Keys.description],
      reference: reference ? TrainingReferenceSchema.parse(JSON.parse(reference)) : undefined,
    };
  } catch {
    return undefined;
  }
}
