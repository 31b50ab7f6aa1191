import { z } from 'zod';
import { TensorSpecSchema } from './datatypes.js';

/**
 * What the trainer writes beside each `model.onnx` and what a predictor reads at start.
 * The ONNX graph has exactly the inputs listed here; it may have more outputs than listed,
 * but only the listed ones are served. For classifiers the predictor adds a `label` (BYTES)
 * output computed from `probabilities` and `labels`.
 */
/**
 * What the model was trained on, for prediction monitoring: quantiles (0 %, 5 %, … 100 %) of
 * each input feature over the training split, and the fraction of each class (in `labels`
 * order). Live inputs are compared with it (KS per feature), live outputs with `classes`.
 * For image models the features are statistics of each image (ink, centre of mass).
 */
export const TrainingReferenceSchema = z.object({
  /**
   * What the features describe: the input columns themselves (`features`, the default: tabular
   * models), or statistics of each input image (`image`: IMAGE_FEATURES, see image-statistics.ts).
   */
  input: z.enum(['features', 'image']).optional(),
  samples: z.number().int().positive(),
  features: z.array(z.object({ name: z.string(), quantiles: z.array(z.number()).min(2) })),
  classes: z.array(z.number().min(0).max(1)),
});
export type TrainingReference = z.infer<typeof TrainingReferenceSchema>;

export const ModelManifestSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'model names are lower-case kebab-case'),
  version: z.string().regex(/^[A-Za-z0-9._-]+$/),
  created: z.string().datetime(),
  task: z.enum(['classification']),
  description: z.string(),
  /** Who answers for the model ("nobody knows" is an anti-pattern); shown with its metadata and monitoring. */
  owner: z.string().min(1).optional(),
  /** The training data's distribution (of the columns, or of image statistics), for drift monitoring. */
  reference: TrainingReferenceSchema.optional(),
  dataset: z.object({
    name: z.string(),
    package: z.string(),
    packageVersion: z.string(),
    seed: z.number().int(),
    trainSize: z.number().int().positive(),
    testSize: z.number().int().positive(),
  }),
  /** Metrics on the held-out split, which training never saw. */
  metrics: z.object({ accuracy: z.number().min(0).max(1) }).catchall(z.number()),
  gate: z.object({ metric: z.literal('accuracy'), min: z.number().min(0).max(1) }),
  inputs: z.array(TensorSpecSchema).min(1),
  outputs: z.array(TensorSpecSchema).min(1),
  labels: z.array(z.string()).min(2),
  /** What the input must look like, e.g. "iris-features-cm" or "mnist-28x28-ink-1". */
  preprocessing: z.string(),
  onnx: z.object({
    file: z.string(),
    sha256: z.string().regex(/^[a-f0-9]{64}$/),
    bytes: z.number().int().positive(),
    opset: z.number().int().positive(),
  }),
  training: z.object({ seconds: z.number().nonnegative(), epochs: z.number().int().nonnegative().optional() }).catchall(z.unknown()),
});
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** The models the trainer produces (DESIGN §6). */
export const MODEL_NAMES = ['iris-softmax', 'iris-mlp', 'iris-trees', 'mnist-mlp', 'mnist-cnn'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export const MANIFEST_FILE = 'manifest.json';
export const IRIS_LABELS = ['setosa', 'versicolor', 'virginica'] as const;
export const MNIST_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
