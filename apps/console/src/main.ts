import './style.css';
import { digitsView } from './digits-view.js';
import { irisView } from './iris-view.js';
import { topologyView } from './topology-view.js';

const VIEWS = { digits: digitsView, iris: irisView, topology: topologyView } as const;
type ViewName = keyof typeof VIEWS;

const app = document.getElementById('app')!;
const made = new Map<ViewName, HTMLElement>();

/** Shows the view the URL's hash names (#digits by default); each view is made once, when first shown. */
function show(): void {
  const wanted = location.hash.slice(1);
  const name: ViewName = wanted in VIEWS ? (wanted as ViewName) : 'digits';
  let view = made.get(name);
  if (!view) {
    view = VIEWS[name]();
    made.set(name, view);
    app.append(view);
  }
  for (const [other, element] of made) element.hidden = other !== name;
  view.dispatchEvent(new Event('msp:show'));
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    if (link.dataset['view'] === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** The gateway's readiness (NATS reachable, at least one predictor), in the header. */
async function health(): Promise<void> {
  const pill = document.getElementById('health')!;
  try {
    const response = await fetch('v2/health/ready');
    pill.textContent = response.ok ? 'gateway ready' : `gateway not ready (${response.status})`;
    pill.className = `pill ${response.ok ? 'ok' : 'down'}`;
  } catch {
    pill.textContent = 'gateway unreachable';
    pill.className = 'pill down';
  }
}

window.addEventListener('hashchange', show);
show();
void health();
window.setInterval(() => void health(), 5_000);
