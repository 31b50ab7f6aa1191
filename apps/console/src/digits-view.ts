import { argmax, followEvents, inferFloats, inferImage, postJson, readAnswer, requestId, type Answer, type InferResponse } from './api.js';
import { DrawPad, SAMPLE_DIGITS } from './draw-pad.js';
import { button, errorText, h, ms, percent } from './dom.js';
import { edgeModel, runEdge } from './edge.js';

const DIGIT_LABELS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
const EDGE_MODELS = ['mnist-mlp', 'mnist-cnn'] as const;
/** Browser and server probabilities agree within this (float32 arithmetic in two runtimes). */
const AGREEMENT_TOLERANCE = 1e-4;

interface Row {
  key: string;
  model: string;
  where: string;
  pattern: string;
}

const ROWS: readonly Row[] = [
  { key: 'mnist-mlp-server', model: 'mnist-mlp', where: 'server', pattern: 'synchronous' },
  { key: 'mnist-mlp-browser', model: 'mnist-mlp', where: 'browser', pattern: 'edge prediction' },
  { key: 'mnist-cnn-server', model: 'mnist-cnn', where: 'server', pattern: 'synchronous' },
  { key: 'mnist-cnn-browser', model: 'mnist-cnn', where: 'browser', pattern: 'edge prediction' },
  { key: 'mnist-image', model: 'mnist-image', where: 'server (PNG)', pattern: 'prep-pred' },
  { key: 'time-lag-fast', model: 'mnist-time-lag', where: 'server, at once', pattern: 'time-lag (fast)' },
  { key: 'time-lag-better', model: 'mnist-time-lag', where: 'server, SSE', pattern: 'time-lag (better)' },
  { key: 'async', model: 'mnist-cnn', where: 'worker', pattern: 'asynchronous' },
];

/** Draw a digit → every digit pattern's answer, and the same models run in the browser. */
export function digitsView(): HTMLElement {
  const cells = new Map<string, { label: HTMLElement; confidence: HTMLElement; version: HTMLElement; latency: HTMLElement; note: HTMLElement; row: HTMLElement }>();
  const tbody = h('tbody');
  for (const row of ROWS) {
    const label = h('td', { class: 'label' }, '—');
    const confidence = h('td', { class: 'num' });
    const version = h('td', { class: 'num' });
    const latency = h('td', { class: 'num' });
    const note = h('td', { class: 'note' });
    const tr = h('tr', { 'data-row': row.key }, h('td', {}, row.model), h('td', {}, row.where), h('td', {}, row.pattern), label, confidence, version, latency, note);
    cells.set(row.key, { label, confidence, version, latency, note, row: tr });
    tbody.append(tr);
  }
  const agreement = h('p', { id: 'agreement', role: 'status', 'aria-live': 'polite' }, 'Draw a digit (or load a sample), then see every pattern answer it.');
  const status = h('p', { class: 'muted', id: 'digit-status', 'aria-live': 'polite' });

  const show = (key: string, answer: Pick<Answer, 'label' | 'confidence' | 'version' | 'ms'>, note = ''): void => {
    const cell = cells.get(key)!;
    cell.label.textContent = answer.label;
    cell.row.dataset['label'] = answer.label;
    cell.row.classList.remove('failed');
    cell.confidence.textContent = percent(answer.confidence);
    cell.version.textContent = answer.version;
    cell.latency.textContent = ms(answer.ms);
    cell.note.textContent = note;
  };
  const fail = (key: string, error: unknown): void => {
    const cell = cells.get(key)!;
    cell.label.textContent = '✖';
    cell.row.dataset['label'] = '';
    cell.row.classList.add('failed');
    cell.note.textContent = errorText(error);
  };
  const reset = (): void => {
    for (const cell of cells.values()) {
      for (const element of [cell.label, cell.confidence, cell.version, cell.latency, cell.note]) element.textContent = '';
      cell.label.textContent = '…';
      delete cell.row.dataset['label'];
      cell.row.classList.remove('failed');
    }
  };

  let round = 0;
  const classify = async (): Promise<void> => {
    const tensor = pad.tensor();
    if (!tensor) {
      status.textContent = 'The canvas is blank: draw a digit first.';
      return;
    }
    const mine = ++round;
    const current = (): boolean => mine === round;
    reset();
    status.textContent = 'Classifying…';
    const shape = [1, 28, 28];
    const server = new Map<string, Answer>();
    const browser = new Map<string, number[]>();
    const tasks: Promise<unknown>[] = [];
    for (const model of EDGE_MODELS) {
      tasks.push(
        inferFloats(model, shape, tensor).then(
          (answer) => {
            if (!current()) return;
            server.set(model, answer);
            show(`${model}-server`, answer);
          },
          (error: unknown) => current() && fail(`${model}-server`, error),
        ),
      );
      tasks.push(
        edgeModel(model)
          .then(async (edge) => {
            const answer = await runEdge(edge, shape, tensor, DIGIT_LABELS);
            if (!current()) return;
            browser.set(model, answer.probabilities);
            show(`${model}-browser`, { ...answer, version: edge.version }, `onnxruntime-web (WASM), sha256 ${edge.sha256.slice(0, 12)}… verified`);
          })
          .catch((error: unknown) => current() && fail(`${model}-browser`, error)),
      );
    }
    tasks.push(
      pad
        .png()
        .then((png) => inferImage('mnist-image', png))
        .then(
          (answer) => current() && show('mnist-image', answer, 'canvas PNG → preprocess → mnist-cnn'),
          (error: unknown) => current() && fail('mnist-image', error),
        ),
    );
    const sink: RowSink = { current, show, fail };
    tasks.push(timeLag(tensor, shape, sink));
    tasks.push(asyncJob(tensor, shape, sink, cells.get('async')!.note));
    await Promise.all(tasks);
    if (!current()) return;
    status.textContent = '';
    agreement.textContent = agreementText(server, browser);
  };

  const pad = new DrawPad(() => void classify());
  const samples = h('div', { class: 'buttons', role: 'group', 'aria-label': 'Sample digits' }, h('span', { class: 'muted' }, 'Samples:'));
  for (const digit of Object.keys(SAMPLE_DIGITS)) {
    samples.append(button(digit, () => {
      pad.drawSample(digit);
      void classify();
    }, { 'aria-label': `Load sample digit ${digit}`, 'data-sample': digit }));
  }
  const file = h('input', { type: 'file', accept: 'image/png,image/jpeg', 'aria-label': 'Load a digit image (PNG or JPEG)' });
  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (chosen) void loadImage(pad, chosen).then(classify, (error: unknown) => (status.textContent = errorText(error)));
  });
  pad.canvas.addEventListener('dragover', (event) => event.preventDefault());
  pad.canvas.addEventListener('drop', (event) => {
    event.preventDefault();
    const dropped = event.dataTransfer?.files[0];
    if (dropped) void loadImage(pad, dropped).then(classify, (error: unknown) => (status.textContent = errorText(error)));
  });

  return h(
    'section',
    { id: 'digits', class: 'view' },
    h('h2', {}, 'Digits: every pattern, one drawing'),
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        { class: 'pad-column' },
        pad.canvas,
        h('div', { class: 'buttons' }, button('Clear', () => {
          pad.clear();
          reset();
        }, { id: 'clear' }), button('Classify', () => void classify(), { id: 'classify' })),
        samples,
        h('label', { class: 'file' }, 'Or an image: ', file),
      ),
      h(
        'div',
        { class: 'answers' },
        h('table', { id: 'digit-answers' }, h('thead', {}, h('tr', {}, ...['Model', 'Where', 'Pattern', 'Label', 'Confidence', 'Version', 'Latency', ''].map((name) => h('th', { scope: 'col' }, name)))), tbody),
        agreement,
        status,
      ),
    ),
  );
}

/** The browser's probabilities beside the server's, per model: the largest difference. */
function agreementText(server: Map<string, Answer>, browser: Map<string, number[]>): string {
  const parts: string[] = [];
  for (const model of EDGE_MODELS) {
    const there = server.get(model);
    const here = browser.get(model);
    if (!there || !here) continue;
    const delta = Math.max(...here.map((p, i) => Math.abs(p - (there.probabilities[i] ?? Number.NaN))));
    const same = argmax(here) === argmax(there.probabilities);
    parts.push(`${model}: ${same && delta <= AGREEMENT_TOLERANCE ? 'browser = server' : 'browser ≠ server'} (max |Δp| ${delta.toExponential(1)})`);
  }
  return parts.length > 0 ? parts.join(' · ') : 'No browser/server pair answered.';
}

/** Where a pattern's answer goes: its row, whether it is still the current round, how it is shown. */
interface RowSink {
  current: () => boolean;
  show: (key: string, answer: Pick<Answer, 'label' | 'confidence' | 'version' | 'ms'>, note?: string) => void;
  fail: (key: string, error: unknown) => void;
}

async function timeLag(tensor: Float32Array, shape: number[], { current, show, fail }: RowSink): Promise<void> {
  const id = requestId('console');
  const started = performance.now();
  try {
    const fast = await inferFloats('mnist-time-lag', shape, tensor, { 'x-request-id': id });
    if (!current()) return;
    show('time-lag-fast', fast, 'mnist-mlp answers now');
    let better = false;
    await followEvents(`v1/time-lag/${encodeURIComponent(id)}/events`, ['better', 'end'], (type, data) => {
      if (type === 'better' && current()) {
        better = true;
        show('time-lag-better', readAnswer(data as InferResponse, performance.now() - started, new Headers()), 'mnist-cnn, pushed later (SSE)');
      }
      return type === 'end';
    });
    if (!better && current()) fail('time-lag-better', new Error('the better answer did not arrive (its stream ended or 30 s passed)'));
  } catch (error) {
    if (current()) fail('time-lag-fast', error);
  }
}

async function asyncJob(tensor: Float32Array, shape: number[], { current, show, fail }: RowSink, note: HTMLElement): Promise<void> {
  const started = performance.now();
  const states: string[] = [];
  try {
    const submitted = await postJson('v1/async/models/mnist-cnn/infer', { inputs: [{ name: 'input', shape, datatype: 'FP32', data: Array.from(tensor) }] });
    const job = submitted.body as { job_id: string; status: string; events_url: string };
    states.push(job.status);
    if (current()) note.textContent = `job ${job.job_id.slice(0, 8)}: ${states.join(' → ')}`;
    const finished = await followEvents(job.events_url.replace(/^\//, ''), ['status'], (_type, data) => {
      const event = data as { status: string; result?: InferResponse; error?: string };
      if (states.at(-1) !== event.status) states.push(event.status);
      if (!current()) return true;
      if (event.status === 'succeeded' && event.result) {
        show('async', readAnswer(event.result, performance.now() - started, new Headers()), `job ${job.job_id.slice(0, 8)}: ${states.join(' → ')}`);
      } else if (event.status === 'failed') {
        fail('async', new Error(`job failed: ${event.error ?? 'no reason'} (${states.join(' → ')})`));
      } else {
        note.textContent = `job ${job.job_id.slice(0, 8)}: ${states.join(' → ')}`;
      }
      return event.status === 'succeeded' || event.status === 'failed';
    });
    if (!finished && current()) fail('async', new Error(`no final state within 30 s (${states.join(' → ')}): is a worker running?`));
  } catch (error) {
    if (current()) fail('async', error);
  }
}

async function loadImage(pad: DrawPad, file: File): Promise<void> {
  const bitmap = await createImageBitmap(file);
  pad.drawImage(bitmap, bitmap.width, bitmap.height);
  bitmap.close();
}
