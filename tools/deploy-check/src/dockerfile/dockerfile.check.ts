import { SERVING_APPS } from '../app-env.js';
import type { CheckReport } from '../report.js';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name?: string;
  /** The FROM argument as written (`${NODE_IMAGE}`, `workspace`). */
  from: string;
  /** The FROM argument with global ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
}

/** Splits a Dockerfile into instructions (continuations joined, comments dropped) and stages. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return; // comment lines inside a continuation are dropped
    if (!pending) startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    pending += line;
    const match = /^(\S+)\s*(.*)$/s.exec(pending);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: startLine });
    pending = '';
  });

  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const parts = instruction.args.split(/\s+/).filter((part) => !part.startsWith('--platform'));
      const from = parts[0] ?? '';
      const name = parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined;
      stages.push({ from, image: substitute(from, globalArgs), instructions: [], ...(name ? { name } : {}) });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name, value] = splitArg(instruction.args);
        globalArgs.set(name, value);
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

function splitArg(args: string): [string, string | undefined] {
  const index = args.indexOf('=');
  return index < 0 ? [args.trim(), undefined] : [args.slice(0, index).trim(), args.slice(index + 1).trim().replace(/^"(.*)"$/, '$1')];
}

function substitute(value: string, args: ReadonlyMap<string, string | undefined>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => args.get(braced ?? bare ?? '') ?? whole);
}

/** Stages the given stage is built from or copies from, transitively, by name. */
export function stageAncestry(dockerfile: ParsedDockerfile, stage: Stage): Stage[] {
  const byName = new Map(dockerfile.stages.flatMap((candidate) => (candidate.name ? [[candidate.name, candidate] as const] : [])));
  const seen = new Set<Stage>();
  const visit = (current: Stage): void => {
    for (const reference of [current.from, current.image, ...copySources(current)]) {
      const parent = byName.get(reference);
      if (parent && !seen.has(parent)) {
        seen.add(parent);
        visit(parent);
      }
    }
  };
  visit(stage);
  return [...seen];
}

/**
 * An image as its stages build it: `stage` merged with the stages it starts FROM (by name, global
 * ARG defaults substituted, e.g. `FROM app-${APP}`), down to the one that starts from an image.
 */
export function imageOf(dockerfile: ParsedDockerfile, stage: Stage): Stage {
  const byName = new Map(dockerfile.stages.flatMap((candidate) => (candidate.name ? [[candidate.name, candidate] as const] : [])));
  const chain = [stage];
  for (let parent = byName.get(stage.image); parent && !chain.includes(parent); parent = byName.get(parent.image)) chain.push(parent);
  const root = chain.at(-1) as Stage;
  return { ...stage, from: root.from, image: root.image, instructions: chain.reverse().flatMap((link) => link.instructions) };
}

function copySources(stage: Stage): string[] {
  return stage.instructions.flatMap((instruction) => {
    if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') return [];
    const from = /--from=(\S+)/.exec(instruction.args)?.[1];
    return from ? [from] : [];
  });
}

const TRAINER_CODE = /apps\/trainer|@msp\/trainer|--from=trainer\b/;
const ROOT_USERS = new Set(['root', '0', 'root:root', '0:0']);

/**
 * Checks the one multi-stage Dockerfile: `ARG APP` selects the app; the final stage (the default
 * target, a serving image) starts from a clean Node image, is non-root, production, has a
 * HEALTHCHECK and a CMD, copies only a pruned production build, and neither it nor any stage it
 * derives from touches trainer code; a separate `trainer` target exists and is non-root too.
 */
export function checkDockerfile(text: string, source: string, report: CheckReport): ParsedDockerfile {
  const dockerfile = parseDockerfile(text);
  const { stages } = dockerfile;
  const final = stages.at(-1);
  if (!final) {
    report.problem(source, 'no FROM');
    return dockerfile;
  }
  const declaresApp = stages.some((stage) => stage.instructions.some((i) => i.keyword === 'ARG' && splitArg(i.args)[0] === 'APP'));
  if (!declaresApp) report.problem(source, 'no ARG APP: the build arg that selects the app');

  const stageNames = new Set(stages.flatMap((stage) => (stage.name ? [stage.name] : [])));
  const where = (stage: Stage): string => `${source} stage ${stage.name ?? '(unnamed)'}`;

  const finalImage = imageOf(dockerfile, final);
  checkFinalImage(finalImage, stageNames, where(final), report, { serving: true });
  if (!finalImage.instructions.some((i) => i.keyword === 'ARG' && splitArg(i.args)[0] === 'APP')) {
    report.problem(where(final), 'the final stage does not take ARG APP');
  }
  // The final stage starts FROM app-${APP}: each serving app has its own small stage (its ports).
  if (final.from.includes('${APP}')) {
    for (const app of SERVING_APPS) {
      const name = final.from.replace('${APP}', app);
      const stage = stages.find((candidate) => candidate.name === name);
      if (!stage) report.problem(where(final), `no stage ${name} for the serving app ${app}`);
      else if (!stage.instructions.some((i) => i.keyword === 'EXPOSE')) report.problem(where(stage), `${app} exposes no port`);
    }
  }

  const servingChain = [final, ...stageAncestry(dockerfile, final)];
  for (const stage of servingChain) {
    for (const instruction of stage.instructions) {
      if (TRAINER_CODE.test(instruction.args)) {
        report.problem(`${where(stage)} line ${instruction.line}`, `a serving stage touches trainer code: ${instruction.keyword} ${instruction.args.slice(0, 80)}`);
      }
    }
  }
  if (!servingChain.some((stage) => stage.instructions.some((i) => i.keyword === 'RUN' && /\bdeploy\b.*--prod\b/.test(i.args)))) {
    report.problem(source, 'the serving image is not built from a production-only install (pnpm deploy --prod)');
  }

  // The gateway serves inference graphs from GRAPHS_DIR=/app/graphs: its image must carry graphs/.
  const copiesGraphs = servingChain.some((stage) =>
    stage.instructions.some((i) => (i.keyword === 'RUN' && /\bcp\b[^&;|]*\bgraphs\b[^&;|]*\/out\/graphs\b/.test(i.args)) || (i.keyword === 'COPY' && /\bgraphs\/?\s+\S*graphs/.test(i.args))),
  );
  if (!copiesGraphs) report.problem(source, 'the gateway image does not carry graphs/ (copy it to /out/graphs in the build stage: GRAPHS_DIR=/app/graphs)');

  const trainer = stages.find((stage) => stage.name === 'trainer');
  if (!trainer) report.problem(source, 'no `trainer` stage: the trainer gets an image target of its own');
  else checkFinalImage(trainer, stageNames, where(trainer), report, { serving: false });
  if (trainer && servingChain.includes(trainer)) report.problem(source, 'the serving image derives from the trainer stage');

  if (report.problems.every((problem) => !problem.where.startsWith(source))) {
    report.ok(`${source}: ${stages.length} stages; serving target ${final.name ?? '(last)'} from ${final.image}, trainer target separate`);
  }
  return dockerfile;
}

function checkFinalImage(stage: Stage, stageNames: ReadonlySet<string>, where: string, report: CheckReport, options: { serving: boolean }): void {
  const has = (keyword: string): Instruction[] => stage.instructions.filter((i) => i.keyword === keyword);
  if (stageNames.has(stage.from)) {
    report.problem(where, `starts FROM the build stage ${stage.from}; an image stage starts from a clean base image`);
  } else if (!/^node:20[.-].*slim/.test(stage.image)) {
    report.problem(where, `base image ${stage.image} is not a slim Node 20 image`);
  }
  const user = has('USER').at(-1)?.args;
  if (!user) report.problem(where, 'no USER: the image would run as root');
  else if (ROOT_USERS.has(user) || user.startsWith('root:') || user.startsWith('0:')) report.problem(where, `USER ${user} is root`);
  if (!has('ENV').some((i) => /\bNODE_ENV=production\b/.test(i.args))) report.problem(where, 'NODE_ENV=production is not set');
  if (has('CMD').length === 0 && has('ENTRYPOINT').length === 0) report.problem(where, 'no CMD or ENTRYPOINT');
  for (const copy of [...has('COPY'), ...has('ADD')]) {
    if (!/--from=/.test(copy.args)) report.problem(where, `copies from the build context (${copy.args}); only built output belongs here`);
  }
  if (options.serving) {
    const healthcheck = has('HEALTHCHECK').at(-1)?.args;
    if (!healthcheck || /^NONE\b/i.test(healthcheck)) report.problem(where, 'no HEALTHCHECK');
  }
}
