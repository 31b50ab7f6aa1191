#!/usr/bin/env node
// `node tools/topology/dist/ensure-models.js [trainer args…]`: trains the models that are missing.
// The trainer's exit code is this command's exit code.
import { ensureModels } from './models.js';

try {
  process.exitCode = await ensureModels({ args: process.argv.slice(2) });
} catch (error) {
  console.error(`ensure-models: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
