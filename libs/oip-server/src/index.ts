export { INFERENCE_BACKEND } from './inference.backend.js';
export type { InferContext, InferenceBackend } from './inference.backend.js';
export { HttpHeaders } from './http-headers.js';
export { createOipApp } from './oip-app.js';
export type { OipAppOptions } from './oip-app.js';
export { OipHttpModule } from './oip-http.module.js';
export type { OipHttpModuleOptions } from './oip-http.module.js';
export type { OipHttpOptions } from './oip-http.options.js';
