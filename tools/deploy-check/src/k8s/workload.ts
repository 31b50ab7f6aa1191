import { isRecord } from '../yaml-load.js';
import type { K8sObject } from './k8s-validate.js';

/** The pod template of a workload (Deployment, StatefulSet, Job, CronJob, ...). */
export function podTemplateOf(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object['spec'];
  if (!isRecord(spec)) return undefined;
  if (object.kind === 'CronJob') {
    const jobTemplate = spec['jobTemplate'];
    const jobSpec = isRecord(jobTemplate) ? jobTemplate['spec'] : undefined;
    return isRecord(jobSpec) && isRecord(jobSpec['template']) ? jobSpec['template'] : undefined;
  }
  return isRecord(spec['template']) ? spec['template'] : undefined;
}

export function podSpecOf(object: K8sObject): Record<string, unknown> | undefined {
  const template = podTemplateOf(object);
  return template && isRecord(template['spec']) ? template['spec'] : undefined;
}

export function containersOf(pod: Record<string, unknown>, options: { init?: boolean } = {}): Record<string, unknown>[] {
  const lists = [pod['containers'], ...(options.init === false ? [] : [pod['initContainers']])];
  return lists.flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []));
}
