// Test helpers (`@msp/model-runtime/testing`): never imported by serving code.
export { identityOnnx, softmaxClassifierOnnx, writeArgmaxClassifier, writeFixtureModel } from './onnx-fixture.js';
export type { FixtureModelOptions } from './onnx-fixture.js';
