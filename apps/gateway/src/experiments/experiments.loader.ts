import { readFileSync } from 'node:fs';
import { DefinitionFileError, formatIssues, readYaml } from '../graphs/graph.loader.js';
import { ExperimentsFileSchema, type Experiment } from './experiment.schema.js';

/** An experiments file that cannot be served: names the file, the path in it and what is wrong. */
export class ExperimentDefinitionError extends DefinitionFileError {
  override readonly name = 'ExperimentDefinitionError';

  constructor(file: string, problems: string[]) {
    super('experiments file', file, problems);
  }
}

/**
 * Parses and checks an experiments file's text: ids unique, one experiment per model name, no
 * model shadowing itself, AB variants with unique names and some weight.
 */
export function parseExperiments(text: string, file: string): Experiment[] {
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
  if (problems.length > 0) throw new ExperimentDefinitionError(file, problems);
  return parsed.data.experiments;
}

/** The experiments of EXPERIMENTS_FILE; none when it is not set. A bad file stops the gateway at start-up. */
export function loadExperiments(file: string): Experiment[] {
  if (file === '') return [];
  return parseExperiments(readFileSync(file, 'utf8'), file);
}
