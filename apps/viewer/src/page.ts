import { ui } from './dom.js';
import { MODEL_URL } from './model.js';
import type { PageState, Status } from './page-state.js';
import { errorLine } from './pipeline.js';

/** The page's state (`window.__lfm`), its status line and its error line. */

declare global {
  interface Window {
    __lfm: PageState;
  }
}

export const state: PageState = {
  status: 'loading',
  mode: 'single',
  source: null,
  item: 0,
  rig: 'auto',
  request: null,
  result: null,
  error: null,
  modelUrl: MODEL_URL,
  runtime: null,
  liftMs: null,
  runs: 0,
  sequence: null,
};
window.__lfm = state;

export function setStatus(s: Status, note?: string): void {
  state.status = s;
  document.body.dataset.status = s;
  const words: Record<Status, string> = {
    loading: 'loading the model…',
    ready: 'ready',
    lifting: 'lifting…',
    done: 'done',
    error: 'error',
  };
  ui.status.textContent = note ?? words[s];
}

export function showError(message: string | null): void {
  state.error = message;
  ui.error.textContent = message ?? '';
  ui.error.hidden = message === null;
}

/** An error of the page itself, with a code, so `errorLine` shows its message as is. */
export function pageError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export function fail(err: unknown, context?: string): void {
  const line = errorLine(err);
  showError(context ? `${context}: ${line}` : line);
  state.result = null;
  state.runs++;
  setStatus('error');
  if (!(err instanceof Error && typeof (err as { code?: unknown }).code === 'string')) console.error(err);
}
