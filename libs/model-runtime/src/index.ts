export { LABEL_OUTPUT, LABEL_SPEC, labelsFromProbabilities, PROBABILITIES_OUTPUT } from './label.output.js';
export { ModelFilesRepository } from './model-files.repository.js';
export { ModelLoadError } from './model-load.error.js';
export { loadModel, parseManifest } from './model.loader.js';
export type { LoadedModel, LoadModelOptions } from './model.loader.js';
export { ModelRunner, ONNX_PLATFORM } from './model.runner.js';
export type { ModelRunnerOptions, OnnxSession } from './model.runner.js';
export { datatypeOfOrtType, fromOrtTensor, ortTypeOf, toOrtTensor } from './ort-tensor.codec.js';
