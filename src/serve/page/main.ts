// The labelling page's script (bundled for the browser with vega and vega-lite, no network
// access beyond this server). Pool text is only ever set with textContent.
import { parse, View } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile, type TopLevelSpec } from 'vega-lite';
import { splitControlCharacters, visibleText } from '../../io/visible-text.js';
import {
  MAX_OPEN_TABS,
  TAB_FORGOTTEN_MS,
  type ClientView,
  type DisplayedInterval,
  type EstimateNumber,
  type PageItem,
  type PlotPoint,
  type PublicState,
} from '../protocol.js';
import { formatCount } from '../../io/format-count.js';
import {
  ACCURACY_RANGE,
  coveredItems,
  differenceRange,
  intervalText,
  plotCaption,
  plotPlaceholder,
  riskRange,
  shownEstimate,
  withinRange,
  type ValueRange,
} from '../estimate-display.js';

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

let item: PageItem | null = null;
let state: PublicState | null = null;
let busy = false;
/** Set once the server answers 503: its session stopped after a failed write, so no action can succeed until it is restarted. */
let stopped = false;
let sequence = 0;
let plotted = -1;
let view: View | null = null;
/** Set after a lost connection: the next state is shown whatever its version (a restarted server counts from 0). */
let resync = false;
/**
 * This tab's id, sent with every request (`X-Tab`): the server tells a reloaded page's late leave
 * from a closing one by it, and a closed page's late request from a live one's. A new one once the
 * browser keeps the page to go back to (`pagehide`), which has then said that it closed.
 */
let tabId = newTabId();
/** Whether this tab has told the other tabs of this browser that it is open (`sayHere`). */
let announced = false;
/**
 * The button whose answer left no item to show (the session done, or every open item with another
 * annotator): it is then disabled, which drops the focus to the page, where a screen reader
 * starts again from the top and Enter does nothing. The focus waits on the item's text, which says
 * why there is none, and goes back to this button once an item is shown (after an undo, or once one
 * is free), so that Tab and Enter go on from where they were.
 */
let pressedBeforeWait: HTMLButtonElement | null = null;

/**
 * Shows `text` under the buttons; `unreachable` for a message that the server could not be reached,
 * which a reconnection clears. Its control characters are shown as the item's are: a message names
 * item ids and class names from the data, and a right-to-left override in one would reorder the rest.
 */
function showMessage(text: string, error = false, unreachable = false): void {
  const element = $('message');
  renderText(element, text);
  element.className = error ? 'error' : '';
  element.dataset.unreachable = String(unreachable);
}

/**
 * Sets an element's text unless it already has it. The page's live regions (the item, the messages,
 * the banners) are read out by screen readers whenever their text is written, so writing the same
 * text again, as every pushed state would, reads it out again.
 */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function renderText(container: HTMLElement, text: string): void {
  container.replaceChildren();
  for (const piece of splitControlCharacters(text)) {
    if (!piece.control) {
      container.append(document.createTextNode(piece.text));
      continue;
    }
    const span = document.createElement('span');
    span.className = 'control';
    span.textContent = piece.text;
    span.title = 'control character';
    container.append(span);
  }
}

/**
 * Says why recorded labels are not in the estimate yet: it covers the longest prefix of proposals
 * all labelled or skipped, so an open item before them holds them back, this annotator's or another's.
 */
function renderWaiting(): void {
  const waiting = state?.waitingFor ?? [];
  const mine = waiting.includes(item?.position ?? -1);
  const others = waiting.length - (mine ? 1 : 0);
  const count = (state?.recorded ?? 0) - (state?.labels ?? 0);
  const held = (after: string): string => `${formatCount(count, 'label')} recorded after ${after} ${count === 1 ? 'counts' : 'count'}`;
  let text = '';
  if (others > 0) {
    text =
      others === 1
        ? `The estimate waits for 1 item another annotator has open: ${held('it')} once it is answered`
        : `The estimate waits for ${others} items other annotators have open: ${held('them')} once they are answered`;
    text += mine ? ' (and once you answer yours).' : '.';
  } else if (mine) {
    text = `The estimate waits for the item you have open: ${held('it')} once you answer it.`;
  }
  setText($('waiting'), text);
}

/** The most characters of an item's text that its announcement reads out. */
const ANNOUNCED_CHARACTERS = 300;

/**
 * What a screen reader announces of a new item's text: the text itself up to
 * `ANNOUNCED_CHARACTERS` characters, else its start and its length, so that a 45,000-character
 * item is not read out whole before the annotator can do anything. The page shows it whole.
 */
function announcement(text: string): string {
  const characters = Array.from(text);
  if (characters.length <= ANNOUNCED_CHARACTERS) return visibleText(text);
  const start = visibleText(characters.slice(0, ANNOUNCED_CHARACTERS).join(''));
  return `${start}…, ${formatCount(characters.length, 'character')}`;
}

function renderItem(): void {
  renderWaiting();
  const meta = $('item-meta');
  const text = $('item-text');
  const announced = $('item-announcement');
  if (item === null) {
    const none = state?.done ? 'Nothing more to label.' : 'Every open item is with another annotator; waiting for a new one…';
    setText(meta, '');
    setText(text, none);
    setText(announced, none);
  } else if (text.dataset.id !== item.id) {
    renderText(meta, `Item ${item.id} · proposal #${item.position + 1}`);
    renderText(text, item.text);
    // Written even when it is the last item's text, as the item is new.
    announced.textContent = announcement(item.text);
    // A new item starts at its top, wherever the last long one was scrolled to.
    text.scrollTop = 0;
  }
  text.dataset.id = item?.id ?? '';
  for (const button of document.querySelectorAll<HTMLButtonElement>('#buttons button')) {
    button.disabled = busy || stopped || (button.dataset.action !== 'undo' && item === null);
  }
  if (item !== null && pressedBeforeWait !== null) {
    const button = pressedBeforeWait;
    pressedBeforeWait = null;
    text.removeAttribute('tabindex');
    // Unless the annotator has moved it meanwhile.
    if (document.activeElement === text || document.activeElement === document.body) button.focus();
  }
}

/** Moves the focus from `button`, disabled for want of an item, to the item's text until an item comes (`pressedBeforeWait`). */
function waitForItemOn(button: HTMLButtonElement): void {
  pressedBeforeWait = button;
  const text = $('item-text');
  // Focusable only while it holds the focus for the button: a long item's text is a scrolling box
  // that the browser lets Tab reach by itself, which a tabindex would change.
  text.tabIndex = -1;
  text.focus();
}

/** The key that labels class `k`: 1–9, then 0 for the tenth; none for the classes after it (click them). */
function classKey(k: number): string {
  return k < 9 ? String(k + 1) : k === 9 ? '0' : '';
}

function renderButtons(classes: readonly string[]): void {
  const container = $('buttons');
  if (container.childElementCount > 0) return;
  const add = (label: string, key: string, action: string, className = ''): void => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = className;
    button.dataset.action = action;
    if (key !== '') {
      const kbd = document.createElement('kbd');
      kbd.textContent = key;
      // The shortcut is announced as such, not as part of the button's name.
      kbd.setAttribute('aria-hidden', 'true');
      button.setAttribute('aria-keyshortcuts', key);
      button.append(kbd);
    }
    const name = document.createElement('span');
    // A class name in a right-to-left script reads in its own direction, as the item's text does.
    name.dir = 'auto';
    renderText(name, label);
    button.append(name);
    button.addEventListener('click', () => act(action));
    container.append(button);
  };
  classes.forEach((name, k) => add(name, classKey(k), `label:${k}`, 'class'));
  add('skip', 's', 'skip');
  add('undo', 'u', 'undo');
}

/** The plot's estimate and band: the page's accent, 6.5:1 against the page. */
const PLOT_COLOUR = '#2457c5';

function plotSpec(points: PlotPoint[], loss: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: 200,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values: points },
    encoding: {
      x: { field: 'labels', type: 'quantitative', title: 'labels', scale: { zero: false }, axis: { tickMinStep: 1, format: 'd' } },
    },
    layer: [
      {
        name: 'band',
        mark: { type: 'area', opacity: 0.25, color: PLOT_COLOUR },
        encoding: {
          y: { field: 'lower', type: 'quantitative', title: `risk (${loss})`, scale: { zero: false } },
          y2: { field: 'upper' },
        },
      },
      // The band's fill is too light to see against the page (1.5:1; WCAG asks 3:1 of a graphic
      // that the plot needs): its edges are drawn, dashed, so as not to be taken for the estimate.
      ...(['lower', 'upper'] as const).map((field) => ({
        name: `band_${field}`,
        mark: { type: 'line' as const, color: PLOT_COLOUR, strokeWidth: 1.5, strokeDash: [5, 3] },
        encoding: { y: { field, type: 'quantitative' as const } },
      })),
      {
        name: 'estimate',
        mark: { type: 'line', color: PLOT_COLOUR, strokeWidth: 2 },
        encoding: { y: { field: 'value', type: 'quantitative' } },
      },
    ],
    // No descriptions of its own for screen readers: vega-lite's describe each mark by its first
    // point alone ("labels: 1; value: 0.41" for the whole line) and read out every tick label. The
    // plot is named by its caption (`renderPlot`).
    config: { aria: false, axis: { labelFontSize: 11, titleFontSize: 12 }, view: { stroke: null } },
  };
}

async function renderPlot(current: PublicState): Promise<void> {
  if (plotted === current.version) return;
  plotted = current.version;
  const container = $('plot');
  // Drawn within the values the risk can take, as the numbers are shown.
  const range = riskRange(current.loss);
  const points = current.points
    .filter((p) => Number.isFinite(p.lower) && Number.isFinite(p.upper))
    .map((p) => ({
      ...p,
      value: withinRange(p.value, range) as number,
      lower: withinRange(p.lower, range) as number,
      upper: withinRange(p.upper, range) as number,
    }));
  // The band's name is too long for the plot's axis title (200 px high): it is said under the plot.
  const caption = plotCaption(current.risk.name, points.length);
  $('plot-caption').textContent = caption ?? '';
  if (caption === null) {
    const placeholder = plotPlaceholder(current.labels, points.length, current.plotStartedAt, current.done);
    container.textContent = placeholder;
    container.setAttribute('aria-label', placeholder);
    view?.finalize();
    view = null;
    return;
  }
  const spec = plotSpec(points, current.loss);
  if (view === null) {
    container.replaceChildren();
    const runtime = parse(compile(spec).spec, undefined, { ast: true });
    view = new View(runtime, { expr: expressionInterpreter, renderer: 'svg', container, hover: false });
  } else {
    view.data('source_0', points);
  }
  // After the view is made, which names its container "Vega visualization".
  container.setAttribute('aria-label', caption);
  await view.runAsync();
}

/**
 * An estimate into the elements `${id}-value`, `-interval` and `-note`: moved into `range`, the
 * estimate itself in data-value (absent while there is none), and a note giving it where it lies outside (that note alone: it
 * says to read the interval too); `labels` those in the estimate.
 */
function renderEstimate(
  id: string,
  estimate: { value: EstimateNumber } & DisplayedInterval,
  range: ValueRange,
  what: string,
  labels: number,
): void {
  const shown = shownEstimate(estimate.value, range, what);
  const value = $(`${id}-value`);
  value.textContent = shown.text;
  // No estimate yet (no label in it) has no value to give: the attribute is left out, not "null".
  if (estimate.value === null) delete value.dataset.value;
  else value.dataset.value = String(estimate.value);
  $(`${id}-interval`).textContent = intervalText(estimate, range, labels);
  $(`${id}-note`).textContent = shown.note || (estimate.note ?? '');
}

/** A comparison session's difference in risk, shown as the risk is; hidden without a comparison target. */
function renderDifference(difference: PublicState['difference'], range: ValueRange, labels: number): void {
  $('difference').hidden = difference === null;
  if (difference !== null) renderEstimate('difference', difference, range, 'a difference', labels);
}

/** The comparison model's own accuracy and risk, shown as the target's are; hidden without a comparison target. */
function renderComparison(comparison: PublicState['comparison'], loss: string, labels: number): void {
  $('comparison').hidden = comparison === null;
  if (comparison === null) return;
  $('comparison-loss-name').textContent = loss;
  renderEstimate('comparison-accuracy', comparison.accuracy, ACCURACY_RANGE, 'an accuracy', labels);
  renderEstimate('comparison-risk', comparison.risk, riskRange(loss), `the ${loss} risk`, labels);
}

/**
 * Once the session stopped at its label budget, the accuracy's and the risk's other intervals (the
 * fixed-budget one and the bootstrap), each named, and what each guarantees; hidden otherwise.
 */
function renderBudgetIntervals(next: PublicState): void {
  const other = next.budgetIntervals;
  $('budget-intervals').hidden = other === null;
  if (other === null) return;
  const rows: HTMLElement[] = [];
  const meanings = new Map<string, string>();
  const add = (quantity: string, intervals: readonly DisplayedInterval[], range: ValueRange): void => {
    for (const interval of intervals) {
      const term = document.createElement('dt');
      term.textContent = quantity;
      const value = document.createElement('dd');
      value.textContent = intervalText(interval, range, next.labels);
      rows.push(term, value);
      meanings.set(interval.name, interval.meaning);
    }
  };
  add('Accuracy', other.accuracy, ACCURACY_RANGE);
  add(`Risk (${next.loss})`, other.risk, riskRange(next.loss));
  $('budget-interval-list').replaceChildren(...rows);
  $('budget-interval-meaning').textContent = [...meanings].map(([name, meaning]) => `The ${name}: ${meaning}`).join(' ');
}

/** The banner's first sentence for each reason the session is done (the progress line gives the numbers). */
const STOP_REASONS: Record<NonNullable<PublicState['doneBecause']>, string> = {
  pool: 'Done: every item of the pool is labelled or skipped, so there is nothing more to label.',
  'max-labels': 'You can stop: the stopping rule holds, the budget of labels (--max-labels) is reached.',
  'target-half-width': "You can stop: the stopping rule holds, the risk's interval is as narrow as its target (--target-half-width).",
};

function renderState(next: PublicState): void {
  if (state !== null && !resync && next.version < state.version) return;
  if (resync) plotted = -1;
  resync = false;
  state = next;
  if (!announced) sayHere();
  renderButtons(next.classes);
  document.body.dataset.done = String(next.done);
  // Empty (and hidden) until the session is done, so that the banner's appearing is a change of its text, which is read out.
  setText(
    $('stop'),
    next.doneBecause === null ? '' : `${STOP_REASONS[next.doneBecause]} Every label is saved; closing the page loses nothing.`,
  );
  $('progress-text').textContent = next.done ? `Done · ${next.progress.text}` : next.progress.text;
  $('progress-fill').style.width = `${(100 * next.progress.fraction).toFixed(1)}%`;
  const bar = $('progress-bar');
  bar.setAttribute('aria-valuenow', (100 * next.progress.fraction).toFixed(0));
  bar.setAttribute('aria-valuetext', next.progress.text);
  $('loss-name').textContent = next.loss;
  // Estimates and intervals are shown within the values an accuracy and the loss can take; the
  // estimate itself stays in data-value, and a note gives it where it lies outside them.
  const risks = riskRange(next.loss);
  renderEstimate('accuracy', next.accuracy, ACCURACY_RANGE, 'an accuracy', next.labels);
  renderEstimate('risk', next.risk, risks, `the ${next.loss} risk`, next.labels);
  renderComparison(next.comparison, next.loss, next.labels);
  renderDifference(next.difference, differenceRange(risks), next.labels);
  renderBudgetIntervals(next);
  // One line when both intervals are of one kind (as they are unless the loss has no per-item bounds).
  $('interval-meaning').textContent =
    next.accuracy.meaning === next.risk.meaning
      ? `The intervals: ${next.risk.meaning}`
      : `Accuracy's interval: ${next.accuracy.meaning} The risk's: ${next.risk.meaning}`;
  $('labels').textContent =
    `${next.labels} (${next.recorded} recorded, ${next.pending} open); the estimate covers ${coveredItems(next.poolSize, next.skipped)}`;
  const ratio = next.varianceRatio;
  $('variance-ratio').textContent =
    ratio === null || !Number.isFinite(ratio)
      ? '–'
      : `${ratio.toFixed(2)} (below 1 favours active testing; verdict: ${next.varianceVerdict})`;
  $('equivalent').textContent =
    next.equivalentRandomLabels === null || !Number.isFinite(next.equivalentRandomLabels) ? '–' : `about ${next.equivalentRandomLabels}`;
  $('annotators').textContent = String(next.annotators);
  renderWaiting();
  void renderPlot(next).catch((error: unknown) => {
    $('plot').textContent = `plot unavailable: ${String(error)}`;
  });
}

function finished(): void {
  sequence++;
  document.body.dataset.seq = String(sequence);
}

/**
 * How long a request may go unanswered (a hung server) before the page says so: a label or skip is
 * then sent again, which the server answers as it did the first (written once).
 */
const SAVE_TIMEOUT_MS = 20_000;

/** What a request does, named for the messages; `repeatable` when sending it twice does it once (a label or skip, not an undo). */
interface Action {
  saving: string;
  saved: string;
  name: string;
  repeatable: boolean;
}

type Answer = { response: Response; data: Partial<ClientView> & { error?: string } } | 'timeout';

/** One request, given up after SAVE_TIMEOUT_MS ('timeout'); a network failure throws. */
async function send(path: string, body?: object): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SAVE_TIMEOUT_MS);
  try {
    const response = await fetch(
      path,
      body === undefined
        ? { headers: { 'X-Tab': tabId }, signal: controller.signal }
        : {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Tab': tabId },
            body: JSON.stringify(body),
            signal: controller.signal,
          },
    );
    if (response.status === 401) return { response, data: {} };
    return { response, data: (await response.json()) as Partial<ClientView> & { error?: string } };
  } catch (error) {
    if (controller.signal.aborted) return 'timeout';
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends one request and shows its outcome. `action` names what it does ("r12: positive") for the
 * messages: it is shown as saving while the request runs, as saved only once the server has
 * answered (after its journal write), as not saved yet while the server does not answer (a label
 * or skip is then sent again; an undo is not, and the page asks for the state instead), and as not
 * confirmed when the server cannot be reached (it may have saved it before its answer was lost).
 */
async function call(path: string, body?: object, action?: Action): Promise<void> {
  // The buttons are disabled while the request runs, which takes the focus from the one pressed:
  // it is given back once they are enabled, so that Tab and Enter go on from where they were.
  const focused = document.activeElement instanceof HTMLButtonElement ? document.activeElement : null;
  busy = true;
  if (action !== undefined) showMessage(action.saving);
  renderItem();
  let request = { path, body, action };
  /** Whether a timeout message is shown that the answer should clear. */
  let late = false;
  try {
    for (;;) {
      const answer = await send(request.path, request.body);
      if (answer === 'timeout') {
        const seconds = SAVE_TIMEOUT_MS / 1000;
        if (request.action !== undefined && !request.action.repeatable) {
          showMessage(
            `Not confirmed: ${request.action.name}. The server has not answered for ${seconds} s, so it may or may not have happened; ` +
              'the page shows where things stand once it answers.',
            true,
          );
          request = { path: '/api/state', body: undefined, action: undefined };
        } else {
          showMessage(
            `${request.action === undefined ? '' : `Not saved yet: ${request.action.name}. `}` +
              `The server has not answered for ${seconds} s; trying again…`,
            true,
          );
          late = true;
        }
        continue;
      }
      const { response, data } = answer;
      if (response.status === 401) {
        showMessage('Not signed in (the server restarted?): open the URL that `active-testing serve` printed.', true);
        return;
      }
      if (!response.ok) {
        showMessage(data.error ?? `error ${response.status}`, true);
        if (response.status === 503) stopped = true;
        if (response.status === 409) await refresh();
        return;
      }
      renderState(data.state as PublicState);
      item = data.item ?? null;
      if (request.action !== undefined) showMessage(request.action.saved);
      else if (late) showMessage('');
      return;
    }
  } catch (error) {
    // The connection may have failed after the server saved the action (a server killed or cut off
    // before its answer went out), so the action is not said to be unsaved.
    showMessage(
      `${request.action === undefined ? '' : `Not confirmed: ${request.action.name}. `}The server cannot be reached (${String(error)})` +
        `${request.action === undefined ? '. ' : ', so it may or may not have happened; the page shows where things stand once the server is back. '}` +
        'Every label shown as saved is on disk; restart the server and reopen its URL.',
      true,
      true,
    );
  } finally {
    busy = false;
    renderItem();
    if (focused !== null && (document.activeElement === null || document.activeElement === document.body)) {
      if (!focused.disabled) focused.focus();
      else if (item === null) waitForItemOn(focused);
    }
    finished();
  }
}

async function refresh(): Promise<void> {
  const answer = await send('/api/state');
  if (answer === 'timeout' || !answer.response.ok) return;
  renderState(answer.data.state as PublicState);
  item = answer.data.item ?? null;
}

function act(action: string): void {
  if (busy || stopped) return;
  if (action === 'undo') {
    // The count the page shows: a second undo sent before this one's answer (another tab) is refused, not a second label undone.
    if (state === null) return;
    void call(
      '/api/undo',
      { resolved: state.recorded + state.skipped },
      {
        saving: 'Undoing…',
        saved: 'Undone: the last label or skip is open again',
        name: 'the undo',
        repeatable: false,
      },
    );
    return;
  }
  if (item === null) return;
  const shown = item;
  if (action === 'skip') {
    void call(
      '/api/skip',
      { id: shown.id },
      { saving: `Skipping ${shown.id}…`, saved: `Skipped ${shown.id}`, name: `the skip of ${shown.id}`, repeatable: true },
    );
    return;
  }
  const label = Number(action.slice('label:'.length));
  const name = `${shown.id}: ${state?.classes[label] ?? label}`;
  void call('/api/label', { id: shown.id, label }, { saving: `Saving ${name}…`, saved: `Saved ${name}`, name, repeatable: true });
}

/**
 * The shortcut a key press means: the character it types where that is a Latin letter or a digit,
 * else the key at its place on a US keyboard (`event.code`), so that the keys work under another
 * layout too: `s` and `u` with Hebrew or Russian active (ד, ы), the digits on AZERTY (&, é, …).
 * Only for an unshifted key typing one character: not a dead key, a key of an input method's
 * composition, AltGr's second character (`{` on a German 7) or a shifted symbol (`!` on a US 1).
 */
function shortcutKey(event: KeyboardEvent): string {
  const key = event.key.toLowerCase();
  if (/^[a-z0-9]$/.test(key)) return key;
  const typesOneCharacter = [...event.key].length === 1;
  if (!typesOneCharacter || event.isComposing || event.shiftKey || event.getModifierState('AltGraph')) return key;
  const place = /^(?:Key([A-Z])|Digit([0-9]))$/.exec(event.code);
  return place === null ? key : (place[1] ?? place[2]).toLowerCase();
}

document.addEventListener('keydown', (event) => {
  // A key held down repeats: one press is one label. Enter held on a focused button would click it
  // again on each repeat once the next item is shown, labelling items the annotator has not read.
  if (event.repeat) {
    if (event.key === 'Enter') event.preventDefault();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || state === null) return;
  const key = shortcutKey(event);
  const k = /^[0-9]$/.test(key) ? (Number(key) + 9) % 10 : -1;
  if (k >= 0 && k < state.classes.length) act(`label:${k}`);
  else if (key === 's') act('skip');
  else if (key === 'u') act('undo');
  else return;
  event.preventDefault();
});

/** How long the page waits between its tries to reach a server it lost. */
const RECONNECT_MS = 3_000;
/** Set while the live-update connection is lost (the server went away), until the server answers again. */
let lost = false;

function showConnection(text: string): void {
  setText($('connection'), text);
  document.body.dataset.connection = text === '' ? 'live' : 'lost';
}

/** The live-update connection; null while the tab is hidden or the server is lost. */
let events: EventSource | null = null;

/** Opens the live-update connection (server-sent events): each change is pushed as it happens. */
function listen(): void {
  const source = new EventSource('/api/events');
  events = source;
  source.addEventListener('state', (event) => {
    const next = JSON.parse((event as MessageEvent<string>).data) as PublicState;
    if (stopped) return;
    renderState(next);
    // Waiting with no item: another annotator's label may have freed or added one, or ended the session.
    if (item === null && !busy) {
      if (next.done) renderItem();
      else void call('/api/state');
    }
  });
  // The server went away (stopped, killed, the network): said at once rather than at the next key.
  source.addEventListener('error', () => {
    source.close();
    if (events === source) events = null;
    if (lost) return;
    lost = true;
    showConnection('Connection to the server lost: retrying… Every label shown as saved is on disk.');
    void reconnect();
  });
}

/**
 * Asks the server for the state every RECONNECT_MS until it answers, then listens again and shows
 * the state and item it gives. A restarted server has a new access token: until its URL is opened
 * (in this tab or another of this browser) it answers 401, which the page says.
 */
async function reconnect(): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    let status: number;
    try {
      status = (await fetch('/api/state', { headers: { 'X-Tab': tabId }, signal: AbortSignal.timeout(SAVE_TIMEOUT_MS) })).status;
    } catch {
      continue;
    }
    if (status !== 401) break;
    showConnection(
      'The server is back but was restarted, with a new access token: open the URL `active-testing serve` printed ' +
        '(here or in another tab); this page then carries on by itself.',
    );
  }
  lost = false;
  // A restarted server counts its versions from 0 again.
  resync = true;
  showConnection('');
  if ($('message').dataset.unreachable === 'true') showMessage('Connected to the server again.');
  if (document.visibilityState !== 'hidden') listen();
  if (!busy) await call('/api/state');
}

// A tab opened in the background listens once it is shown (below).
if (document.visibilityState !== 'hidden') listen();

// Tabs of one browser are one annotator with one item: an item answered in another tab stays on
// this one, which no pushed change says (asking on every change would keep the item's lease alive
// while its annotator is away). The tab asks again when it is shown, before the annotator reads on.
//
// A hidden tab also closes its live-update connection, which it does not need until it is shown: a
// browser opens at most six connections to one server, and each open tab's would hold one for good,
// so that six tabs (old ones kept open across restarts) left none for the seventh, nor for a label.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') {
    events?.close();
    events = null;
    return;
  }
  if (events === null && !lost) {
    // The server may have restarted meanwhile, counting its versions from 0 again.
    resync = true;
    listen();
  }
  if (!busy && !stopped && state !== null) void call('/api/state');
});

// When the last tab of a browser closes, its item goes to another annotator after a grace of
// seconds rather than when its lease ends (until then the estimate waits for it); a reload asks for
// the item again within the grace and keeps it. The tabs of one origin know of each other through a
// broadcast channel, each saying it is there every TAB_HEARTBEAT_MS: one that stops (it crashed, or
// the browser froze or discarded it) is forgotten after TAB_FORGOTTEN_MS, longer than a background
// tab's throttled timers wait. A closing tab names the others it knows (`pagehide` below).
const TAB_HEARTBEAT_MS = 20_000;
const otherTabs = new Map<string, number>();
const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('active-testing-tabs') : null;
tabs?.addEventListener('message', (event: MessageEvent<{ kind: 'hello' | 'here' | 'bye'; tab: string }>) => {
  const { kind, tab } = event.data;
  if (kind === 'bye') otherTabs.delete(tab);
  else otherTabs.set(tab, Date.now());
  if (kind === 'hello') sayHere();
});
setInterval(sayHere, TAB_HEARTBEAT_MS);

/**
 * Tells the other tabs this one is there (the first time, asking them to say so too), once it has
 * shown the session: a page the server refused (an old token) holds no item. A tab not yet
 * announced that another closes in the meantime is covered by the server: its request came after
 * the other's (the server counts it open) or clears the other's leave.
 */
function sayHere(): void {
  if (state === null) return;
  tabs?.postMessage({ kind: announced ? 'here' : 'hello', tab: tabId });
  announced = true;
}

function newTabId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The other tabs of this browser heard from within TAB_FORGOTTEN_MS, the most recently heard MAX_OPEN_TABS of them. */
function openTabs(): string[] {
  const now = Date.now();
  for (const [tab, seen] of otherTabs) if (now - seen > TAB_FORGOTTEN_MS) otherTabs.delete(tab);
  return [...otherTabs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_OPEN_TABS)
    .map(([tab]) => tab);
}

window.addEventListener('pagehide', (event) => {
  tabs?.postMessage({ kind: 'bye', tab: tabId });
  // Also a tab that never had its first answer: the server may count it open until it says so.
  if (tabs !== null && !stopped) {
    // Every tab says so, naming the tabs it knows open: the server gives the item back once every
    // tab named has closed too, so a window closed with all its tabs (each still knowing the others)
    // gives it back, and a tab closed beside an open one does not. keepalive: the request outlives the page.
    const headers = { 'X-Tab': tabId, 'X-Open-Tabs': openTabs().join(',') };
    void fetch('/api/leave', { method: 'POST', keepalive: true, headers }).catch(() => {});
  }
  // A page the browser keeps to go back to asks, when shown again, as a new tab (the server takes
  // no request of a closed one as its return): from now on, for it may ask as it becomes visible,
  // before its pageshow.
  if (event.persisted) tabId = newTabId();
});
// A page kept by the browser to go back to is shown again: the tabs it knew may have closed
// meanwhile, and its item may have gone to another annotator.
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  otherTabs.clear();
  announced = false;
  sayHere();
  if (!busy && !stopped) void call('/api/state');
});

// An item another annotator keeps open comes back to the others once its lease ends, which no
// change announces: a page waiting for an item asks again now and then.
const WAIT_POLL_MS = 20_000;
setInterval(() => {
  if (item === null && !busy && !stopped && state !== null && !state.done) void call('/api/state');
}, WAIT_POLL_MS);

// On a phone the purpose and the instructions would fill most of the screen before the item and its
// buttons: they start folded there, one tap away. The stylesheet says where (--start-folded), so
// that the screen sizes are set in one place.
const about = $('about') as HTMLDetailsElement;
if (getComputedStyle(about).getPropertyValue('--start-folded').trim() === '1') about.open = false;

void call('/api/state');
