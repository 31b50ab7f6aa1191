export { DEPLOY_FILES, runDeployChecks } from './deploy-check.js';
export type { DeployCheckOptions, DeployCheckResult } from './deploy-check.js';
export { KUBECTL_INSTALL_HINT, KubectlMissingError, KustomizeError, kustomize } from './k8s/kubectl-kustomize.js';
export type { K8sObject } from './k8s/k8s-validate.js';
export { knownModels, PREDICTORS_DIR } from './known-models.js';
export { CheckReport } from './report.js';
export { findRepoRoot } from './repo-root.js';
