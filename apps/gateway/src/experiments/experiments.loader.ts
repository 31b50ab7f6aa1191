import { readFileSync } from 'node:fs';
import { DefinitionFileError, formatIssues, readYaml } from '../graphs/graph.loader.js';
import { ExperimentsFileSchema, type Experiment, type Rollout } from './experiment.schema.js';

/** What an experiments file declares. */
export interface Definitions {
  experiments: Experiment[];
  rollouts: Rollout[];
}

/** An experiments file that cannot be served: names the file, the path in it and what is wrong. */
export class ExperimentDefinitionError extends DefinitionFileError {
  override readonly name = 'ExperimentDefinitionError';

  constructor(file: string, problems: string[]) {
    super('experiments file', file, problems);
  }
}

/**
 * Parses and checks an experiments file's text: ids unique, one experiment per model name, no
 * model shadowing itself, AB variants with unique names and some weight; each rollout names an
 * AB experiment and a candidate variant other than its control, with rising steps.
 */
export function parseDefinitions(text: string, file: string): Definitions {
  const yaml = readYaml(text);
  if ('problems' in yaml) throw new ExperimentDefinitionError(file, yaml.problems);
  const parsed = ExperimentsFileSchema.safeParse(yaml.data);
  if (!parsed.success) throw new ExperimentDefinitionError(file, formatIssues(parsed.error.issues));
  const problems: string[] = [];
  const ids = new Set<string>();
  const models = new Map<string, string>();
  parsed.data.experiments.forEach((experiment, i) => {
    if (ids.has(experiment.id)) problems.push(`experiments[${i}].id: '${experiment.id}' is defined twice`);
    ids.add(experiment.id);
    const other = models.get(experiment.model);
    if (other) problems.push(`experiments[${i}].model: '${experiment.model}' is already the model of '${other}'`);
    models.set(experiment.model, experiment.id);
    if (experiment.kind === 'shadow' && experiment.shadow.model === experiment.model && experiment.shadow.version === undefined) {
      problems.push(`experiments[${i}].shadow: a model cannot shadow itself; name another model or a version`);
    }
    if (experiment.kind === 'ab') {
      const names = experiment.variants.map((variant) => variant.name);
      if (new Set(names).size !== names.length) problems.push(`experiments[${i}].variants: variant names must be unique`);
      if (experiment.variants.every((variant) => variant.weight === 0)) problems.push(`experiments[${i}].variants: every weight is 0`);
    }
  });
  const rolloutIds = new Set<string>();
  parsed.data.rollouts.forEach((rollout, i) => {
    if (rolloutIds.has(rollout.id)) problems.push(`rollouts[${i}].id: '${rollout.id}' is defined twice`);
    rolloutIds.add(rollout.id);
    const experiment = parsed.data.experiments.find((candidate) => candidate.id === rollout.experiment);
    if (experiment?.kind !== 'ab') {
      problems.push(`rollouts[${i}].experiment: '${rollout.experiment}' is not an AB experiment of this file`);
    } else if (rollout.candidate !== undefined && !experiment.variants.slice(1).some((variant) => variant.name === rollout.candidate)) {
      problems.push(`rollouts[${i}].candidate: '${rollout.candidate}' is not a variant of '${experiment.id}' other than its control ('${experiment.variants[0]!.name}')`);
    }
    if (rollout.steps.some((weight, j) => j > 0 && weight <= rollout.steps[j - 1]!)) problems.push(`rollouts[${i}].steps: weights must rise`);
  });
  if (problems.length > 0) throw new ExperimentDefinitionError(file, problems);
  return parsed.data;
}

/** The experiments and rollouts of EXPERIMENTS_FILE; none when it is not set. A bad file stops the gateway at start-up. */
export function loadDefinitions(file: string): Definitions {
  if (file === '') return { experiments: [], rollouts: [] };
  return parseDefinitions(readFileSync(file, 'utf8'), file);
}
