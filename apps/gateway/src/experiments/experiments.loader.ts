import { readFileSync } from 'node:fs';
import { formatIssues, readYaml } from '../graphs/graph.loader.js';
import { ExperimentsFileSchema, type ShadowExperiment } from './experiment.schema.js';

/** An experiments file that cannot be served: names the file, the path in it and what is wrong. */
export class ExperimentDefinitionError extends Error {
  override readonly name = 'ExperimentDefinitionError';

  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid experiments file ${file}:\n  ${problems.join('\n  ')}`);
  }
}

/** Parses and checks an experiments file's text: ids unique, one experiment per primary model, no model shadowing itself. */
export function parseExperiments(text: string, file: string): ShadowExperiment[] {
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
    if (other) problems.push(`experiments[${i}].model: '${experiment.model}' is already the primary of '${other}'`);
    models.set(experiment.model, experiment.id);
    if (experiment.shadow.model === experiment.model && experiment.shadow.version === undefined) {
      problems.push(`experiments[${i}].shadow: a model cannot shadow itself; name another model or a version`);
    }
  });
  if (problems.length > 0) throw new ExperimentDefinitionError(file, problems);
  return parsed.data.experiments;
}

/** The experiments of EXPERIMENTS_FILE; none when it is not set. A bad file stops the gateway at start-up. */
export function loadExperiments(file: string): ShadowExperiment[] {
  if (file === '') return [];
  return parseExperiments(readFileSync(file, 'utf8'), file);
}
