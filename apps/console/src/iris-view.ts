import { inferFloats, type Answer } from './api.js';
import { errorText, h, ms, percent } from './dom.js';
import { edgeModel, runEdge } from './edge.js';

const FEATURES = [
  { name: 'sepal length', min: 4, max: 8, value: 6.3 },
  { name: 'sepal width', min: 2, max: 4.5, value: 2.7 },
  { name: 'petal length', min: 1, max: 7, value: 4.9 },
  { name: 'petal width', min: 0.1, max: 2.6, value: 1.8 },
] as const;
const IRIS_LABELS = ['setosa', 'versicolor', 'virginica'] as const;
const MODELS = ['iris-softmax', 'iris-mlp', 'iris-trees'] as const;

interface GraphStep {
  node: string;
  kind: string;
  status: string;
  model?: string;
  version?: string;
  ms?: number;
}

/** Four sliders → the three iris models side by side, the ensemble with each branch, the cache, the browser. */
export function irisView(): HTMLElement {
  const values: number[] = FEATURES.map((feature) => feature.value);
  const sliders = h('div', { class: 'sliders' });
  FEATURES.forEach((feature, i) => {
    const output = h('output', { id: `iris-value-${i}` }, feature.value.toFixed(1));
    const input = h('input', { type: 'range', min: feature.min, max: feature.max, step: 0.1, value: feature.value, id: `iris-${i}`, 'aria-describedby': `iris-value-${i}` });
    input.addEventListener('input', () => {
      values[i] = Number(input.value);
      output.textContent = Number(input.value).toFixed(1);
      schedule();
    });
    sliders.append(h('label', { for: `iris-${i}` }, `${feature.name} (cm)`), input, output);
  });
  const cards = h('div', { class: 'cards' });
  const card = (title: string): { root: HTMLElement; body: HTMLElement } => {
    const body = h('div', { class: 'card-body' }, '…');
    const root = h('article', { class: 'card', 'data-model': title }, h('h3', {}, title), body);
    cards.append(root);
    return { root, body };
  };
  const modelCards = new Map(MODELS.map((model) => [model, card(model)]));
  const ensemble = card('iris-ensemble');
  const edge = card('iris-mlp in the browser');

  const render = (target: { root: HTMLElement; body: HTMLElement }, answer: Answer, extra: (HTMLElement | string)[] = []): void => {
    target.root.dataset['label'] = answer.label;
    target.body.replaceChildren(
      h('p', { class: 'big' }, answer.label),
      h('p', {}, `${percent(answer.confidence)} · v${answer.version} · ${ms(answer.ms)}`),
      ...extra,
    );
  };
  const failed = (target: { body: HTMLElement }, error: unknown): void => target.body.replaceChildren(h('p', { class: 'error' }, errorText(error)));

  let timer: number | undefined;
  const schedule = (): void => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void run(), 120);
  };
  const run = async (): Promise<void> => {
    const row = Float32Array.from(values);
    const shape = [1, 4];
    await Promise.all([
      ...MODELS.map((model) =>
        inferFloats(model, shape, row).then(
          (answer) => {
            const cache = answer.headers.get('x-msp-cache');
            render(modelCards.get(model)!, answer, cache ? [h('p', { class: `pill cache-${cache}` }, `cache ${cache}${answer.parameters['cache_tier'] ? ` (${String(answer.parameters['cache_tier'])})` : ''}`)] : []);
          },
          (error: unknown) => failed(modelCards.get(model)!, error),
        ),
      ),
      inferFloats('iris-ensemble', shape, row).then(
        (answer) => {
          const graph = answer.parameters['graph'] as { steps?: GraphStep[]; partial?: boolean } | undefined;
          const branches = (graph?.steps ?? []).filter((step) => step.kind === 'model');
          render(ensemble, answer, [
            h('ul', { class: 'branches' }, ...branches.map((step) => h('li', {}, `${step.model ?? step.node}@${step.version ?? '?'}: ${step.status}${step.ms !== undefined ? `, ${ms(step.ms)}` : ''}`))),
            graph?.partial ? h('p', { class: 'error' }, 'partial: a branch did not answer in time') : '',
          ]);
        },
        (error: unknown) => failed(ensemble, error),
      ),
      edgeModel('iris-mlp')
        .then(async (model) => {
          const answer = await runEdge(model, shape, row, IRIS_LABELS);
          render(edge, { ...answer, model: 'iris-mlp', version: model.version, parameters: {}, headers: new Headers() }, [h('p', { class: 'muted' }, `sha256 ${model.sha256.slice(0, 12)}… verified`)]);
        })
        .catch((error: unknown) => failed(edge, error)),
    ]);
  };
  schedule();
  return h(
    'section',
    { id: 'iris', class: 'view' },
    h('h2', {}, 'Iris: three models side by side'),
    h('p', { class: 'muted' }, 'Move a slider: iris-softmax, iris-mlp and iris-trees (cached: watch hit and miss) answer, the ensemble votes over all three, and the browser runs iris-mlp itself.'),
    sliders,
    cards,
  );
}
