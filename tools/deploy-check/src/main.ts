#!/usr/bin/env node
/**
 * `node tools/deploy-check/dist/main.js [repo-root]`: validates the Dockerfile, the compose file
 * and the k8s tree offline, prints what it checked, and exits 1 when anything is wrong.
 */
import { resolve } from 'node:path';
import { runDeployChecks } from './deploy-check.js';
import { findRepoRoot } from './repo-root.js';

const root = process.argv[2] ? resolve(process.argv[2]) : findRepoRoot();
const { report } = await runDeployChecks(root);

for (const line of report.checked) console.log(`ok    ${line}`);
for (const line of report.warningLines()) console.log(`warn  ${line}`);
for (const line of report.problemLines()) console.log(`FAIL  ${line}`);
console.log(
  report.passed
    ? `deploy-check: ${report.checked.length} checks passed (${report.warnings.length} warnings)`
    : `deploy-check: ${report.problems.length} problems`,
);
process.exitCode = report.passed ? 0 : 1;
