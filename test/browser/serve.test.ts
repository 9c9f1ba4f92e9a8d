import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { LEAVE_GRACE_MS } from '../../src/serve/coordinator.js';
import { ACCURACY_RANGE, intervalEnds, riskRange } from '../../src/serve/estimate-display.js';
import {
  CLI,
  contrastRatio,
  findChromium,
  journalLabels,
  journalRecords,
  launchChromium,
  pauseServer,
  restartableServer,
  startServer,
  stopServer,
  type RestartableServer,
  type RunningServer,
} from './serve-helpers.js';

// The page's globals, for the functions that run in the browser (this project's types have no DOM).
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  dispatchEvent(event: unknown): boolean;
  getElementById(id: string): { textContent: string | null; className: string } | null;
};
declare const window: { __pwned?: number; __liveRegionWrites?: Array<{ id: string; text: string }>; __kept?: boolean };
declare function getComputedStyle(element: unknown): { direction: string };
declare class KeyboardEvent {
  constructor(type: string, init: { key: string; code: string; shiftKey?: boolean; modifierAltGraph?: boolean });
}

const chromium = findChromium();
const required = process.env.ACTIVE_TESTING_REQUIRE_BROWSER === '1';
if (chromium === undefined) {
  if (required)
    throw new Error("ACTIVE_TESTING_REQUIRE_BROWSER=1 but no Chromium binary was found (install Debian's chromium or set CHROMIUM_PATH)");
  console.warn('test/browser: no Chromium binary found (set CHROMIUM_PATH); skipping the browser tests');
}

/**
 * Records, in the page, each write to a live region (the elements a screen reader reads out when
 * they change): the region's id and its text after the write, starting from the text it has now.
 */
const WATCH_LIVE_REGIONS = `{
  window.__liveRegionWrites = [];
  for (const region of document.querySelectorAll('[aria-live], [role=status], [role=alert]')) {
    window.__liveRegionWrites.push({ id: region.id, text: region.textContent });
    new MutationObserver(() => window.__liveRegionWrites.push({ id: region.id, text: region.textContent })).observe(region, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  }
}`;

/**
 * Collects, in the page, the colours whose contrast WCAG 2.2 AA sets a floor on: each visible text
 * and the colour behind it (4.5:1, 3:1 for large text: 24 px, or 18.66 px bold), and each enabled
 * button's border and fill against the colour around it, the progress bar's fill against its
 * track, the plot's band (its fill or its edges) against the page and its estimate's line against
 * the band (3:1, 1.4.11; a button's edge is its border or its fill, whichever stands out more). Colours
 * are composited over the backgrounds of the element's ancestors, with their opacity; the contents
 * of disabled buttons are exempt. Gives `{ what, pairs, needed }`, `pairs` opaque `rgb()` colours.
 */
const CONTRAST_PAIRS = `(() => {
  const rgba = (css) => {
    const [r, g, b, a = 1] = css.match(/[\\d.]+/g).map(Number);
    return { r, g, b, a };
  };
  const over = (top, below) => ({
    r: top.r * top.a + below.r * (1 - top.a),
    g: top.g * top.a + below.g * (1 - top.a),
    b: top.b * top.a + below.b * (1 - top.a),
    a: 1,
  });
  const css = ({ r, g, b }) => 'rgb(' + r + ', ' + g + ', ' + b + ')';
  const background = (element) => {
    const layers = [];
    for (let e = element; e !== null; e = e.parentElement) layers.unshift(rgba(getComputedStyle(e).backgroundColor));
    return layers.reduce((below, layer) => over(layer, below), { r: 255, g: 255, b: 255, a: 1 });
  };
  const opacity = (element) => {
    let product = 1;
    for (let e = element; e !== null; e = e.parentElement) product *= Number(getComputedStyle(e).opacity);
    return product;
  };
  const measured = [];
  for (const element of document.body.querySelectorAll('*')) {
    const text = [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim() !== '');
    if (!text || element.getClientRects().length === 0 || element.closest('button:disabled, .visually-hidden') !== null) continue;
    const style = getComputedStyle(element);
    const behind = background(element);
    const colour = rgba(element instanceof SVGElement ? style.fill : style.color);
    const shown = over({ ...colour, a: colour.a * opacity(element) * Number(style.fillOpacity) }, behind);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const what = element.id || (element.closest('[id]')?.id ?? '') + ' ' + element.tagName.toLowerCase();
    measured.push({ what: what + ': ' + element.textContent.trim().slice(0, 20), pairs: [[css(shown), css(behind)]], needed: large ? 3 : 4.5 });
  }
  for (const button of document.querySelectorAll('#buttons button:enabled')) {
    const around = css(background(button.parentElement));
    const border = css(over(rgba(getComputedStyle(button).borderTopColor), background(button.parentElement)));
    measured.push({ what: 'edge of ' + button.dataset.action, pairs: [[border, around], [css(background(button)), around]], needed: 3 });
  }
  const fill = css(over(rgba(getComputedStyle(document.getElementById('progress-fill')).backgroundColor), background(document.getElementById('progress-bar'))));
  measured.push({ what: 'progress fill', pairs: [[fill, css(background(document.getElementById('progress-bar')))]], needed: 3 });
  const plot = document.getElementById('plot');
  const mark = (name, paint) => {
    const path = plot.querySelector('.' + name + '_marks path');
    if (path === null) return null;
    const style = getComputedStyle(path);
    const colour = rgba(paint === 'fill' ? style.fill : style.stroke);
    return { ...colour, a: colour.a * opacity(path) * Number(paint === 'fill' ? style.fillOpacity : style.strokeOpacity) };
  };
  const [band, edge, estimate] = [mark('band', 'fill'), mark('band_upper', 'stroke'), mark('estimate', 'stroke')];
  if (band !== null) {
    const page = background(plot);
    const bandOnPage = over(band, page);
    // The band's extent is seen by its fill or its edges, whichever stands out more; the estimate's line lies on the band.
    measured.push({ what: 'plot band', pairs: [[css(bandOnPage), css(page)], [css(over(edge ?? band, page)), css(page)]], needed: 3 });
    measured.push({ what: 'plot estimate', pairs: [[css(over(estimate, bandOnPage)), css(bandOnPage)]], needed: 3 });
  }
  return measured;
})()`;

const CLASSES = ['negative', 'positive'];
// The screenshots in docs/images are refreshed with `npm run docs:screenshots`; an ordinary test run
// writes them to a temporary folder, so that running the tests never changes tracked files.
const IMAGES = process.env.ACTIVE_TESTING_SCREENSHOTS
  ? resolve(process.env.ACTIVE_TESTING_SCREENSHOTS)
  : mkdtempSync(join(tmpdir(), 'serve-screenshots-'));
const WORDS = [
  'the',
  'plot',
  'was',
  'slow',
  'but',
  'the',
  'acting',
  'felt',
  'honest',
  'and',
  'warm',
  'a',
  'dull',
  'script',
  'saved',
  'by',
  'its',
  'cast',
  'never',
  'quite',
  'lands',
  'funny',
  'moving',
  'overlong',
];

interface Pool {
  dir: string;
  args: (session: string) => string[];
  labels: Int32Array;
}

/** A synthetic binary pool written as the CLI reads it, with review-like texts (some long) or the given texts. */
/** A server on `args` and one page in a new context of `browser`, closed and stopped after `use`, whatever it throws. */
async function withServedPage(
  browser: Browser,
  args: string[],
  use: (page: Page, server: RunningServer) => Promise<void>,
  contextOptions: Parameters<Browser['newContext']>[0] = {},
): Promise<void> {
  const server = await startServer(args);
  const context = await browser.newContext(contextOptions);
  try {
    await use(await context.newPage(), server);
  } finally {
    await context.close();
    await stopServer(server);
  }
}

/**
 * Runs `use` with a page open on a session served by `restartableServer(args)`, which the test
 * kills and restarts at the page's address; closes both after.
 */
async function withRestartableServedPage(
  browser: Browser,
  args: string[],
  use: (page: Page, served: RestartableServer) => Promise<void>,
): Promise<void> {
  const served = await restartableServer(args);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await open(page, served.current());
    await use(page, served);
  } finally {
    await context.close();
    await served.close();
  }
}

async function writePool(size: number, seed: number, texts?: string[]): Promise<Pool> {
  const dir = mkdtempSync(join(tmpdir(), 'at-serve-'));
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed });
  const text = (i: number): string => {
    if (texts) return texts[i % texts.length];
    const length = 8 + ((i * 7919) % (i % 10 === 0 ? 160 : 24));
    return Array.from({ length }, (_, w) => WORDS[(i * 31 + w * 17) % WORDS.length]).join(' ') + '.';
  };
  const data = join(dir, 'pool.tsv');
  writeFileSync(data, ['id\tsentence', ...Array.from({ length: size }, (_, i) => `r${i}\t${text(i)}`)].join('\n') + '\n');
  await writeNpy(join(dir, 'f.npy'), { data: pool.modelScores.data, shape: [size, 2], dtype: 'f8' });
  await writeNpy(join(dir, 'g.npy'), { data: pool.surrogateScores.data, shape: [size, 2], dtype: 'f8' });
  return {
    dir,
    labels: pool.labels,
    args: (session) => [
      '--session',
      session,
      '--data',
      data,
      '--classes',
      CLASSES.join(','),
      '--model-scores',
      join(dir, 'f.npy'),
      '--surrogate-scores',
      join(dir, 'g.npy'),
      '--seed',
      String(seed),
    ],
  };
}

/** The id of the item the page shows ('' when none). */
async function shownId(page: Page): Promise<string> {
  return (await page.locator('#item-text').getAttribute('data-id')) ?? '';
}

/**
 * The role and name of the element `selector` selects in Chromium's accessibility tree (what a screen
 * reader is given), and the names in the tree below it.
 */
async function accessibleNode(page: Page, selector: string): Promise<{ role: string; name: string; inside: string[] }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { node } = await cdp.send('DOM.describeNode', { nodeId });
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const element = nodes.find((n) => n.backendDOMNodeId === node.backendNodeId);
    if (element === undefined) throw new Error(`${selector} is not in the accessibility tree`);
    const inside: string[] = [];
    const visit = (id: string): void => {
      const below = byId.get(id);
      if (below === undefined) return;
      const name = below.name?.value as string | undefined;
      if (!below.ignored && name) inside.push(name);
      below.childIds?.forEach(visit);
    };
    element.childIds?.forEach(visit);
    return { role: element.role?.value as string, name: element.name?.value as string, inside };
  } finally {
    await cdp.detach();
  }
}

/** Presses `key` and waits for the page to finish the request it starts; returns the error message shown, if any. */
async function press(page: Page, key: string): Promise<string | null> {
  const before = await page.evaluate(() => Number(document.body.dataset.seq));
  await page.keyboard.press(key);
  const outcome = await page.waitForFunction((n) => {
    if (Number(document.body.dataset.seq) <= n) return false;
    const message = document.getElementById('message') as { className: string; textContent: string | null };
    return { error: message.className === 'error' ? message.textContent : null };
  }, before);
  return ((await outcome.jsonValue()) as { error: string | null }).error;
}

/** Opens the printed URL and waits for the first item. */
async function open(page: Page, server: RunningServer): Promise<void> {
  await page.goto(server.url);
  await page.waitForFunction(() => Number(document.body.dataset.seq) > 0);
}

/** Labels the shown item with its true class by keyboard; returns its id and class, or null when refused. */
async function labelShown(page: Page, labels: Int32Array): Promise<{ id: string; y: number } | null> {
  const id = await shownId(page);
  if (id === '') return null;
  const y = labels[Number(id.slice(1))];
  const error = await press(page, String(y + 1));
  return error === null ? { id, y } : null;
}

/** A GET with a chosen Host header (fetch does not let one set it): a DNS-rebinding attack's request. */
function statusWithHost(url: string, host: string, cookie: string): Promise<number | undefined> {
  return new Promise((done, fail) => {
    const req = request(url, { headers: { Host: host, cookie } }, (response) => {
      response.resume();
      done(response.statusCode);
    });
    req.on('error', fail);
    req.end();
  });
}

describe.skipIf(chromium === undefined)('active-testing serve in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(chromium as string);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("60 labels by keyboard: the journal holds exactly them and the page shows the session's estimate", async () => {
    const pool = await writePool(400, 3);
    const path = join(pool.dir, 'keyboard.session');
    await withServedPage(
      browser,
      pool.args(path),
      async (page, server) => {
        const labelled = new Map<string, number>();
        await open(page, server);
        expect(await page.locator('#buttons button').count()).toBe(4);
        // The first screen says what to do, with the keys.
        expect(await page.locator('#instructions').innerText()).toMatch(
          /^Read the text and choose the class that fits it: click its button or press the key shown on it\. Press s to skip .*, u to take back your last answer\./,
        );
        while (labelled.size < 60) {
          const done = await labelShown(page, pool.labels);
          if (done === null) throw new Error(`a label was refused: ${await page.locator('#message').textContent()}`);
          expect(labelled.has(done.id)).toBe(false);
          labelled.set(done.id, done.y);
        }
        // What the interval shown guarantees, in words.
        expect(await page.locator('#interval-meaning').textContent()).toMatch(
          /^The intervals: With 95% probability the true value lies in this interval at every number of labels at once/,
        );
        const shownText = async (id: string): Promise<string | null> => page.locator(`#${id}`).textContent();
        const shown = {
          risk: await shownText('risk-value'),
          riskInterval: await shownText('risk-interval'),
          accuracy: await shownText('accuracy-value'),
          accuracyInterval: await shownText('accuracy-interval'),
        };
        const riskShown = Number(await page.locator('#risk-value').getAttribute('data-value'));
        const accuracyShown = Number(await page.locator('#accuracy-value').getAttribute('data-value'));
        await page.waitForSelector('#plot svg');
        // The axis titles fit beside the 200 px plot: a title longer than it stretched the chart.
        const plot = await page.locator('#plot svg').evaluate((svg) => ({
          height: svg.getBoundingClientRect().height,
          titles: [...svg.querySelectorAll('.role-axis-title text')].map((text) => text.textContent),
        }));
        expect(plot.titles).toEqual(['labels', 'risk (cross-entropy)']);
        expect(plot.height).toBeLessThan(260);
        expect(await page.locator('#plot-caption').textContent()).toBe(
          'Solid line: the estimated risk; band between the dashed lines: its 95% confidence sequence (anytime-valid), against the number of labels.',
        );
        mkdirSync(IMAGES, { recursive: true });
        await page.screenshot({ path: join(IMAGES, 'serve-desktop.png') });
        // Opened as on a phone, where the instructions start folded.
        await page.setViewportSize({ width: 390, height: 844 });
        await page.reload();
        await page.waitForFunction(() => Number(document.body.dataset.seq) > 0);
        await page.waitForSelector('#plot svg');
        await page.screenshot({ path: join(IMAGES, 'serve-narrow.png'), fullPage: true });
        expect(await stopServer(server)).toBe(0);

        expect(journalLabels(path)).toEqual(labelled);
        expect(journalRecords(path).filter((r) => r.e === 'label')).toHaveLength(60);
        const session = await ActiveTestingSession.open(path);
        const estimate = session.estimate();
        await session.close();
        expect(estimate.labels).toBe(60);
        expect(riskShown).toBe(estimate.risk.value);
        expect(accuracyShown).toBe(estimate.accuracy.value);
        // `label` prints the same numbers for this state, to as many digits.
        writeFileSync(join(pool.dir, 'no-answers.tsv'), 'id\tlabel\n');
        const printed = spawnSync(
          process.execPath,
          [CLI, 'label', '--session', path, '--answers', join(pool.dir, 'no-answers.tsv'), '--max-labels', '60'],
          { encoding: 'utf8' },
        );
        expect(printed.status).toBe(0);
        const line = (name: string): RegExpExecArray | null =>
          new RegExp(`^${name}: (\\S+)  anytime-valid 95% (\\[\\S+, \\S+\\])`, 'm').exec(printed.stdout);
        const [, risk, riskInterval] = line('Risk \\(cross-entropy\\)') ?? [];
        const [, accuracy, accuracyInterval] = line('Accuracy') ?? [];
        expect(shown).toEqual({
          risk,
          riskInterval: `95% confidence sequence (anytime-valid): ${riskInterval}`,
          accuracy,
          accuracyInterval: `95% confidence sequence (anytime-valid): ${accuracyInterval}`,
        });
      },
      { viewport: { width: 1280, height: 800 } },
    );
  });

  it('two annotators label concurrently: 100 labels, no item twice, a label for an item someone else labelled is refused', async () => {
    const pool = await writePool(500, 5);
    const path = join(pool.dir, 'two.session');
    const server = await startServer(pool.args(path));
    const contexts = [await browser.newContext(), await browser.newContext()];
    const pages = await Promise.all(contexts.map((context) => context.newPage()));
    const acknowledged: Array<Array<{ id: string; y: number }>> = [[], []];
    let total = 0;
    try {
      await Promise.all(pages.map((page) => open(page, server)));
      const [first, second] = await Promise.all(pages.map(shownId));
      expect(first).not.toBe('');
      expect(second).not.toBe('');
      expect(first).not.toBe(second);
      await Promise.all(
        pages.map(async (page, a) => {
          while (total < 100) {
            total++;
            const done = await labelShown(page, pool.labels);
            if (done === null) total--;
            else acknowledged[a].push(done);
          }
        }),
      );
      const all = [...acknowledged[0], ...acknowledged[1]];
      expect(all).toHaveLength(100);
      expect(acknowledged[0].length).toBeGreaterThan(10);
      expect(acknowledged[1].length).toBeGreaterThan(10);
      expect(new Set(all.map((item) => item.id)).size).toBe(100);

      // Annotator 2 tries to label an item annotator 1 labelled: refused with a message.
      const taken = acknowledged[0][0].id;
      const refused = await pages[1].evaluate(async (id) => {
        const response = await fetch('/api/label', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ id, label: 0 }),
        });
        return { status: response.status, body: (await response.json()) as { error: string } };
      }, taken);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toContain(`item ${taken} was already labelled or skipped by another annotator`);
      // Each page got the other's labels pushed (server-sent events) without a reload.
      await pages[0].waitForFunction(() => document.getElementById('labels')?.textContent?.includes('100 recorded'));

      expect(await stopServer(server)).toBe(0);
      const journal = journalLabels(path);
      expect(journal.size).toBe(100);
      expect(journalRecords(path).filter((r) => r.e === 'label')).toHaveLength(100);
      for (const item of all) expect(journal.get(item.id)).toBe(item.y);
    } finally {
      await Promise.all(contexts.map((context) => context.close()));
      await stopServer(server);
    }
  });

  it('the estimate says it waits for an item another annotator has open, and for how many labels', async () => {
    const pool = await writePool(100, 18);
    const path = join(pool.dir, 'waiting.session');
    const server = await startServer(pool.args(path));
    const contexts = [await browser.newContext(), await browser.newContext()];
    const [holder, labeller] = await Promise.all(contexts.map((context) => context.newPage()));
    try {
      await open(holder, server);
      await open(labeller, server);
      const waiting = (page: Page) => page.locator('#waiting');
      expect(await waiting(labeller).isVisible()).toBe(false);
      expect(await labelShown(labeller, pool.labels)).not.toBeNull();
      expect(await waiting(labeller).textContent()).toBe(
        'The estimate waits for 1 item another annotator has open: 1 label recorded after it counts once it is answered.',
      );
      expect(await labelShown(labeller, pool.labels)).not.toBeNull();
      expect(await labelShown(labeller, pool.labels)).not.toBeNull();
      expect(await waiting(labeller).textContent()).toBe(
        'The estimate waits for 1 item another annotator has open: 3 labels recorded after it count once it is answered.',
      );
      expect(await labeller.locator('#risk-value').textContent()).toBe('–');
      expect(await labeller.locator('#risk-value').getAttribute('data-value')).toBeNull();
      // The page holding the item hears of it (pushed), and is told that the item is its own.
      await holder.waitForFunction(() => document.getElementById('waiting')?.textContent?.includes('3 labels'));
      expect(await waiting(holder).textContent()).toBe(
        'The estimate waits for the item you have open: 3 labels recorded after it count once you answer it.',
      );
      expect(await labelShown(holder, pool.labels)).not.toBeNull();
      expect(await waiting(holder).isVisible()).toBe(false);
      await labeller.waitForFunction(() => document.getElementById('waiting')?.textContent === '');
      expect(await labeller.locator('#labels').textContent()).toMatch(/^4 \(4 recorded/);
    } finally {
      await Promise.all(contexts.map((context) => context.close()));
      await stopServer(server);
    }
  });

  it('a server killed mid-way loses nothing acknowledged, and the page resumes on restart', async () => {
    const pool = await writePool(300, 7);
    const path = join(pool.dir, 'kill.session');
    const context = await browser.newContext();
    const page = await context.newPage();
    const acknowledged = new Map<string, number>();
    let server = await startServer(pool.args(path));
    try {
      await open(page, server);
      while (acknowledged.size < 15) {
        const done = await labelShown(page, pool.labels);
        if (done) acknowledged.set(done.id, done.y);
      }
      const shownBeforeKill = await shownId(page);
      server.child.kill('SIGKILL');
      await server.exited;
      expect(journalLabels(path)).toEqual(acknowledged);

      // A label pressed while the server is down is reported, not acknowledged.
      expect(await press(page, '1')).toMatch(/cannot be reached/);

      server = await startServer(['--session', path]);
      await open(page, server);
      expect(await shownId(page)).toBe(shownBeforeKill);
      // The plot starts again from the current estimate: it waits for one more label, not two.
      expect(await page.locator('#plot').textContent()).toMatch(/appears after the next label: it starts again .* restarts/);
      // No caption of a line and a band that are not drawn.
      expect(await page.locator('#plot-caption').textContent()).toBe('');
      while (acknowledged.size < 20) {
        const done = await labelShown(page, pool.labels);
        if (done) acknowledged.set(done.id, done.y);
      }
      expect(await stopServer(server)).toBe(0);
      expect(journalLabels(path)).toEqual(acknowledged);

      // Restarted at its label budget, the session has one point and gets no more labels: the page
      // says there will be no plot rather than waiting for a label that will not come.
      server = await startServer(['--session', path, '--max-labels', '20']);
      await open(page, server);
      expect(await page.locator('#plot').textContent()).toMatch(
        /^No plot: the session ended with one estimate to draw since the server started/,
      );
      expect(await stopServer(server)).toBe(0);
      expect(journalLabels(path)).toEqual(acknowledged);
    } finally {
      await context.close();
      await stopServer(server);
    }
  });

  it('a server that goes away is shown as a lost connection at once, and the page carries on when it is back', async () => {
    const pool = await writePool(100, 19);
    const path = join(pool.dir, 'lost.session');
    await withRestartableServedPage(browser, pool.args(path), async (page, served) => {
      const banner = page.locator('#connection');
      expect(await banner.isVisible()).toBe(false);
      expect(await labelShown(page, pool.labels)).not.toBeNull();
      expect(await labelShown(page, pool.labels)).not.toBeNull();
      const shown = await shownId(page);
      await served.kill();
      // No key pressed: the live-update connection's error says it.
      await banner.waitFor({ state: 'visible' });
      expect(await banner.textContent()).toBe('Connection to the server lost: retrying… Every label shown as saved is on disk.');
      expect(await page.evaluate(() => document.body.dataset.connection)).toBe('lost');
      // A key pressed meanwhile is still reported as not saved.
      expect(await press(page, '1')).toMatch(/cannot be reached/);

      // Restarted at its address: a new token, which the page asks for.
      const server = await served.restart(['--session', path]);
      await page.waitForFunction(() => document.getElementById('connection')?.textContent?.includes('new access token'));
      expect(await banner.textContent()).toMatch(/^The server is back but was restarted, with a new access token: open the URL/);
      // The new URL opened in another tab of the browser: this page carries on by itself.
      const other = await page.context().newPage();
      await open(other, server);
      await banner.waitFor({ state: 'hidden' });
      await page.waitForFunction(() => document.getElementById('message')?.textContent === 'Connected to the server again.');
      expect(await shownId(page)).toBe(shown);
      expect(await labelShown(page, pool.labels)).not.toBeNull();
      // The restarted server counts its state versions from 0 again: the page shows them all the same.
      expect(await page.locator('#labels').textContent()).toMatch(/\(3 recorded/);
      expect(journalLabels(path).size).toBe(3);
    });
  });

  it('a page open while its restarted server opens the session waits for it, then says the token is new', async () => {
    const pool = await writePool(100, 23);
    const path = join(pool.dir, 'starting.session');
    await withRestartableServedPage(browser, pool.args(path), async (page, served) => {
      expect(await labelShown(page, pool.labels)).not.toBeNull();
      const saved = await page.locator('#message').textContent();
      expect(saved).toMatch(/^Saved /);
      await served.kill();
      await page.locator('#connection').waitFor({ state: 'visible' });
      // Restarted at its address, the session opened only after 8 s: the page asks the server every 3 s
      // meanwhile, and each request waits for the session rather than being answered "starting".
      await served.restart(['--session', path], { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: 'serve:open=8000' });
      await page.waitForFunction(() => document.getElementById('connection')?.textContent?.includes('new access token'));
      // Nothing said meanwhile that the server was back, nor that it could not be reached.
      expect(await page.locator('#message').textContent()).toBe(saved);
    });
  });

  it('--max-labels holds while a page keeps an earlier item open, and a waiting page asks again for an item', async () => {
    const pool = await writePool(60, 11);
    const path = join(pool.dir, 'budget.session');
    const server = await startServer([...pool.args(path), '--max-labels', '2']);
    const [away, here] = [await browser.newContext(), await browser.newContext()];
    try {
      // The first proposal goes to a page that is then left alone.
      await open(await away.newPage(), server);
      const page = await here.newPage();
      await page.clock.install();
      await open(page, server);
      expect(await labelShown(page, pool.labels)).not.toBeNull();
      // One label is recorded and one item is open: the budget of 2 gives out no third item.
      expect(await shownId(page)).toBe('');
      expect(await page.locator('#item-text').textContent()).toMatch(/^Every open item is with another annotator; waiting/);
      expect(journalRecords(path).filter((r) => r.e === 'propose')).toHaveLength(2);
      // The open item comes back once its lease ends, which no change announces: the page asks.
      const asked = page.waitForRequest((request) => request.url().endsWith('/api/state'));
      await page.clock.fastForward(30_000);
      await asked;
    } finally {
      await Promise.all([away.close(), here.close()]);
      await stopServer(server);
    }
  });

  it('a pool of 5 labelled to the end without a stopping rule: the page says the pool is done, not that a rule holds', async () => {
    const pool = await writePool(5, 12);
    const path = join(pool.dir, 'small.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(`${message.text()} ${message.location().url}`);
      });
      await open(page, server);
      expect(await page.locator('#stop').isVisible()).toBe(false);
      for (let k = 0; k < 5; k++) expect(await labelShown(page, pool.labels)).not.toBeNull();
      expect(await page.locator('#item-text').textContent()).toBe('Nothing more to label.');
      const banner = page.locator('#stop');
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.textContent()).toMatch(/^Done: every item of the pool is labelled or skipped/);
      expect(await page.locator('#buttons button.class:enabled').count()).toBe(0);
      expect(await page.locator('#progress-text').textContent()).toBe('Done · 5 of 5 items labelled (no stopping rule given)');
      // Not even the browser's request for a favicon fails (a 404 in the console looks like a fault).
      expect(consoleErrors).toEqual([]);
    });
  });

  it("an estimate outside the values it can take (after one heavily weighted label) is shown at the range's end, with a note", async () => {
    // Seed 34's first proposal has q = 0.0073 in a pool of 40; a wrong label there weighs 1/(40q) = 3.42.
    const size = 40;
    const synthetic = syntheticPool({ poolSize: size, classCount: 2, seed: 34 });
    const path = join(mkdtempSync(join(tmpdir(), 'at-serve-')), 'range.session');
    const texts = Array.from({ length: size }, (_, i) => `review ${i}`);
    const session = await ActiveTestingSession.create(path, {
      texts,
      ids: texts.map((_, i) => `r${i}`),
      classes: CLASSES,
      modelScores: synthetic.modelScores,
      surrogateScores: synthetic.surrogateScores,
      loss: 'zero-one',
      seed: 34,
    });
    const [first] = await session.next();
    const predicted = synthetic.modelScores.data[2 * first.index] > synthetic.modelScores.data[2 * first.index + 1] ? 0 : 1;
    await session.record(first.id, 1 - predicted);
    const estimate = session.estimate();
    await session.close();
    expect(estimate.risk.value.toFixed(4)).toBe('3.4189');
    expect(estimate.accuracy.value.toFixed(4)).toBe('-2.4189');
    await withServedPage(browser, ['--session', path], async (page, server) => {
      await open(page, server);
      const text = async (id: string): Promise<string | null> => page.locator(`#${id}`).textContent();
      expect(await text('accuracy-value')).toBe('0.0000');
      expect(Number(await page.locator('#accuracy-value').getAttribute('data-value'))).toBe(estimate.accuracy.value);
      expect(await text('accuracy-note')).toBe(
        'The estimate is -2.4189, below 0, the least an accuracy can be: with few labels, an item drawn with a small ' +
          'probability weighs heavily in it (it is unbiased, not bounded). Shown as 0.0000; read the interval.',
      );
      expect(await text('risk-value')).toBe('1.0000');
      expect(Number(await page.locator('#risk-value').getAttribute('data-value'))).toBe(estimate.risk.value);
      expect(await text('risk-note')).toBe(
        'The estimate is 3.4189, above 1, the most the zero-one risk can be: with few labels, an item drawn with a small ' +
          'probability weighs heavily in it (it is unbiased, not bounded). Shown as 1.0000; read the interval.',
      );
      const interval = estimate.risk.anytime as { lower: number; upper: number };
      expect(await text('risk-interval')).toBe(
        `95% confidence sequence (anytime-valid): [${interval.lower.toFixed(4)}, ${Math.min(1, interval.upper).toFixed(4)}]`,
      );
    });
  });

  it('a label is shown as saving until the server answers, and as not confirmed when it cannot be reached', async () => {
    const pool = await writePool(50, 13);
    const path = join(pool.dir, 'saving.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      const first = await shownId(page);
      const resume = await pauseServer(server);
      const message = page.locator('#message');
      await page.keyboard.press('2');
      await page.waitForFunction(() => document.getElementById('message')?.textContent?.startsWith('Saving'));
      expect(await message.textContent()).toBe(`Saving ${first}: positive…`);
      expect(journalLabels(path).has(first)).toBe(false);
      resume();
      await page.waitForFunction((id) => document.getElementById('message')?.textContent === `Saved ${id}: positive`, first);
      expect(journalLabels(path).get(first)).toBe(1);

      // The server is gone: the next label cannot be sent.
      const second = await shownId(page);
      server.child.kill('SIGKILL');
      await server.exited;
      await page.keyboard.press('1');
      await page.waitForFunction(() => document.getElementById('message')?.className === 'error');
      expect(await message.textContent()).toMatch(
        new RegExp(`^Not confirmed: ${second}: negative\\. The server cannot be reached \\(.*\\), so it may or may not have happened;`),
      );
      expect(journalLabels(path).has(second)).toBe(false);
    });
  });

  it('a save the server does not answer is said to be not saved yet and sent again, and recorded once', async () => {
    const pool = await writePool(50, 17);
    const path = join(pool.dir, 'hung.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      // The routes are in place before the page loads, so that the browser intercepts every request of
      // the page from its first; each step below sets what they do, and until then they pass requests on.
      let onLabel = (route: Route): Promise<void> => route.continue();
      let onUndo = (route: Route): Promise<void> => route.continue();
      await page.route('**/api/label', (route) => onLabel(route));
      await page.route('**/api/undo', (route) => onUndo(route));
      await page.clock.install();
      await open(page, server);
      // Time stands still from here except when the test moves it, so a slow machine cannot carry a
      // save past its 20 s timeout between two steps.
      await page.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
      const first = await shownId(page);
      // Before the first label the intervals have no ends: the page says so in words.
      expect(await page.locator('#risk-interval').textContent()).toBe('95% confidence sequence (anytime-valid): no labels yet');
      expect(await page.locator('#accuracy-interval').textContent()).toBe('95% confidence sequence (anytime-valid): no labels yet');
      // The first request reaches the server, which records the label, but its answer never comes back.
      let sent = 0;
      let answered: () => void = () => undefined;
      const recorded = new Promise<void>((done) => (answered = done));
      onLabel = async (route) => {
        sent++;
        if (sent > 1) return route.continue();
        await route.fetch();
        answered();
        await new Promise<never>(() => undefined);
      };
      await page.keyboard.press('2');
      await page.waitForFunction(() => document.getElementById('message')?.textContent?.startsWith('Saving'));
      // The server answers after its journal write: once the held request's answer is in, the label is
      // on disk, however long a loaded machine took (expect.poll would give it 1 s).
      await recorded;
      expect(journalLabels(path).get(first)).toBe(1);
      await page.clock.fastForward(19_000);
      expect(await page.locator('#message').textContent()).toBe(`Saving ${first}: positive…`);
      await page.clock.fastForward(2_000);
      await page.waitForFunction((id) => document.getElementById('message')?.textContent === `Saved ${id}: positive`, first);
      expect(sent).toBe(2);
      expect(await shownId(page)).not.toBe(first);
      expect(journalRecords(path).filter((r) => r.e === 'label')).toHaveLength(1);

      // The message while it waits for the second try: the server itself is frozen, then resumed.
      const second = await shownId(page);
      onLabel = (route) => route.continue();
      const resume = await pauseServer(server);
      await page.keyboard.press('1');
      await page.waitForFunction(() => document.getElementById('message')?.textContent?.startsWith('Saving'));
      await page.clock.fastForward(21_000);
      await page.waitForFunction(() => document.getElementById('message')?.className === 'error');
      expect(await page.locator('#message').textContent()).toBe(
        `Not saved yet: ${second}: negative. The server has not answered for 20 s; trying again…`,
      );
      expect(await page.locator('#buttons button:enabled').count()).toBe(0);
      expect(journalLabels(path).has(second)).toBe(false);
      resume();
      await page.waitForFunction((id) => document.getElementById('message')?.textContent === `Saved ${id}: negative`, second);
      expect(journalLabels(path).get(second)).toBe(0);
      expect(journalRecords(path).filter((r) => r.e === 'label')).toHaveLength(2);

      // An undo is not sent twice: the page asks for the state instead.
      let undos = 0;
      let undoBody: unknown;
      onUndo = async (route) => {
        undos++;
        undoBody = route.request().postDataJSON();
        await new Promise<never>(() => undefined);
      };
      const before = await page.evaluate(() => Number(document.body.dataset.seq));
      await page.keyboard.press('u');
      await page.waitForFunction(() => document.getElementById('message')?.textContent === 'Undoing…');
      await page.clock.fastForward(21_000);
      await page.waitForFunction((n) => Number(document.body.dataset.seq) > n, before);
      expect(await page.locator('#message').textContent()).toMatch(/^Not confirmed: the undo\. The server has not answered for 20 s/);
      expect(undos).toBe(1);
      // The page names the count it shows (two labels), so that the server undoes only while it holds.
      expect(undoBody).toEqual({ resolved: 2 });
      expect(await page.locator('#buttons button.class:enabled').count()).toBe(2);
      expect(journalLabels(path).get(second)).toBe(0);
    });
  });

  it('a long text scrolled down: the next item is shown from its top', async () => {
    const pool = await writePool(20, 14, [Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ')]);
    const path = join(pool.dir, 'long.session');
    await withServedPage(
      browser,
      pool.args(path),
      async (page, server) => {
        await open(page, server);
        const text = page.locator('#item-text');
        await text.evaluate((element) => (element.scrollTop = 2000));
        expect(await text.evaluate((element) => element.scrollTop)).toBeGreaterThan(1000);
        expect(await press(page, '1')).toBeNull();
        expect(await text.evaluate((element) => element.scrollTop)).toBe(0);
      },
      { viewport: { width: 1280, height: 800 } },
    );
  });

  it('a 45,000-character item is shown whole and announced by its first 300 characters and its length', async () => {
    const long = Array.from({ length: 9000 }, (_, i) => `w${String(i % 1000).padStart(3, '0')}`).join(' ') + '.';
    expect(long.length).toBe(45_000);
    const short = 'a short review, read out whole.';
    const pool = await writePool(20, 21, [long, short]);
    const path = join(pool.dir, 'announced.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      // The shown text is not itself a live region: only the announcement is read out when it changes.
      expect(await page.locator('#item-text').getAttribute('aria-live')).toBeNull();
      expect(await page.locator('#item-announcement').getAttribute('aria-live')).toBe('polite');
      const seen = new Set<string>();
      while (seen.size < 2) {
        const id = await shownId(page);
        const text = Number(id.slice(1)) % 2 === 0 ? long : short;
        expect(await page.locator('#item-text').textContent()).toBe(text);
        expect(await page.locator('#item-announcement').textContent()).toBe(
          text === long ? `${long.slice(0, 300)}…, 45000 characters` : short,
        );
        seen.add(text);
        expect(await press(page, '1')).toBeNull();
      }
    });
  });

  it('right-to-left text reads right to left, with its emoji and zero-width joiners kept', async () => {
    // Persian "I want" holds a zero-width non-joiner; the family emoji is three joined by joiners.
    const rtl = 'مرحبا بالعالم، هل هذا نص إيجابي؟ 😀 می\u200cخواهم \u{1f468}\u200d\u{1f469}\u200d\u{1f467}';
    const pool = await writePool(4, 15, [rtl]);
    const path = join(pool.dir, 'rtl.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      const text = page.locator('#item-text');
      expect(await text.textContent()).toBe(rtl);
      expect(await text.evaluate((element) => getComputedStyle(element).direction)).toBe('rtl');
    });
  });

  it('twelve classes: keys 1–9 and 0 label the first ten, the rest show no empty key and are labelled by click', async () => {
    const classes = Array.from({ length: 12 }, (_, k) => `class ${k + 1}`);
    const pool = await writePool(30, 16);
    const scores = new Float64Array(30 * 12).map((_, i) => Math.sin(i));
    await writeNpy(join(pool.dir, 'f12.npy'), { data: scores, shape: [30, 12], dtype: 'f8' });
    await writeNpy(join(pool.dir, 'g12.npy'), { data: scores.map((x) => x / 2), shape: [30, 12], dtype: 'f8' });
    const path = join(pool.dir, 'twelve.session');
    const args = pool.args(path);
    args[args.indexOf('--classes') + 1] = classes.join(',');
    args[args.indexOf('--model-scores') + 1] = join(pool.dir, 'f12.npy');
    args[args.indexOf('--surrogate-scores') + 1] = join(pool.dir, 'g12.npy');
    await withServedPage(browser, args, async (page, server) => {
      await open(page, server);
      const buttons = page.locator('#buttons button.class');
      expect(await buttons.count()).toBe(12);
      expect(await buttons.evaluateAll((all) => all.map((b) => b.getAttribute('aria-keyshortcuts')))).toEqual([
        ...['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'],
        null,
        null,
      ]);
      expect(await page.locator('#buttons kbd').evaluateAll((all) => all.map((k) => k.textContent))).toEqual([
        ...['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 's', 'u'],
      ]);
      const first = await shownId(page);
      expect(await press(page, '0')).toBeNull();
      const second = await shownId(page);
      await page.getByRole('button', { name: 'class 12' }).click();
      await page.waitForFunction((id) => document.getElementById('message')?.textContent === `Saved ${id}: class 12`, second);
      const labels = journalLabels(path);
      expect(labels.get(first)).toBe(9);
      expect(labels.get(second)).toBe(11);
    });
  });

  it('class names with no break opportunity fit a 375 px phone screen: buttons and messages wrap, the page never scrolls sideways', async () => {
    const classes = [
      'Supercalifragilisticexpialidocious_extraordinarily_long_negative',
      'Supercalifragilisticexpialidocious_extraordinarily_long_positive',
    ];
    const pool = await writePool(20, 17);
    const path = join(pool.dir, 'unbreakable.session');
    const args = pool.args(path);
    args[args.indexOf('--classes') + 1] = classes.join(',');
    await withServedPage(
      browser,
      args,
      async (page, server) => {
        await open(page, server);
        expect(await press(page, '1')).toBeNull();
        expect(await page.locator('#message').textContent()).toMatch(new RegExp(`^Saved r\\d+: ${classes[0]}$`));
        const layout = await page.evaluate(() => {
          const root = document as unknown as {
            documentElement: { scrollWidth: number; clientWidth: number };
            querySelectorAll(selector: string): Iterable<{
              scrollWidth: number;
              clientWidth: number;
              closest(selector: string): { getBoundingClientRect(): { right: number } };
              getBoundingClientRect(): { right: number };
            }>;
          };
          const boxes = [...root.querySelectorAll('#buttons button, #message')];
          return {
            pageOverflow: root.documentElement.scrollWidth - root.documentElement.clientWidth,
            // Content wider than its own box, and boxes reaching past their section's right edge.
            contentOverflow: boxes.map((box) => Math.max(0, box.scrollWidth - box.clientWidth)),
            pastSection: boxes.map((box) =>
              Math.max(0, Math.round(box.getBoundingClientRect().right - box.closest('section').getBoundingClientRect().right)),
            ),
          };
        });
        expect(layout).toEqual({ pageOverflow: 0, contentOverflow: [0, 0, 0, 0, 0], pastSection: [0, 0, 0, 0, 0] });
      },
      { viewport: { width: 375, height: 700 } },
    );
  });

  it('on a 360×640 phone and at 200% zoom: touch targets of 44×44 px, and a 500-character token and a long URL wrap without sideways scrolling', async () => {
    const unbroken = `${'x'.repeat(500)} see https://example.com/${'a/'.repeat(150)}?q=${'b'.repeat(100)}`;
    const pool = await writePool(20, 24, [unbroken]);
    const path = join(pool.dir, 'phone.session');
    const server = await startServer(pool.args(path));
    // 200% zoom of a 1280×800 window lays the page out 640 CSS px wide, two device pixels to one.
    const screens = [
      { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true },
      { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 },
    ];
    try {
      for (const screen of screens) {
        const context = await browser.newContext(screen);
        try {
          const page = await context.newPage();
          await open(page, server);
          expect(await page.locator('meta[name=viewport]').getAttribute('content')).toBe('width=device-width, initial-scale=1');
          expect(await page.locator('#item-text').textContent()).toBe(unbroken);
          const layout = await page.evaluate(() => {
            const root = document as unknown as {
              documentElement: { scrollWidth: number; clientWidth: number };
              getElementById(id: string): { scrollWidth: number; clientWidth: number };
              querySelectorAll(
                selector: string,
              ): Iterable<{ textContent: string; getBoundingClientRect(): { width: number; height: number } }>;
            };
            const text = root.getElementById('item-text');
            return {
              pageOverflow: root.documentElement.scrollWidth - root.documentElement.clientWidth,
              textOverflow: text.scrollWidth - text.clientWidth,
              smallTargets: [...root.querySelectorAll('#buttons button, #about summary')]
                .map((button) => ({ name: button.textContent, box: button.getBoundingClientRect() }))
                .filter(({ box }) => box.width < 44 || box.height < 44)
                .map(({ name, box }) => `${name}: ${box.width}×${box.height}`),
            };
          });
          expect(layout).toEqual({ pageOverflow: 0, textOverflow: 0, smallTargets: [] });
          const id = await shownId(page);
          const before = await page.evaluate(() => Number(document.body.dataset.seq));
          const skip = page.locator('#buttons button[data-action=skip]');
          await (screen.hasTouch ? skip.tap() : skip.click());
          await page.waitForFunction((n) => Number(document.body.dataset.seq) > n, before);
          expect(await page.locator('#message').textContent()).toBe(`Skipped ${id}`);
        } finally {
          await context.close();
        }
      }
    } finally {
      await stopServer(server);
    }
  });

  it('on a 360×640 phone an ordinary item and its buttons show without scrolling; the folded instructions open with a tap', async () => {
    const ordinary =
      'The plot was slow but the acting felt honest and warm: a dull script saved by its cast, never quite landing, funny in places and moving in others, though overlong by half an hour at least, sadly so.';
    const pool = await writePool(20, 31, [ordinary]);
    const path = join(pool.dir, 'fold.session');
    const server = await startServer(pool.args(path));
    try {
      for (const screen of [
        { viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true },
        { viewport: { width: 1280, height: 800 } },
      ]) {
        const context = await browser.newContext(screen);
        try {
          const page = await context.newPage();
          await open(page, server);
          // After an answer too, with its message and the statistics of a label.
          expect(await labelShown(page, pool.labels)).not.toBeNull();
          const instructions = page.locator('#instructions');
          if (screen.hasTouch !== true) {
            expect(await instructions.isVisible()).toBe(true);
            continue;
          }
          expect(await page.locator('#item-text').textContent()).toBe(ordinary);
          const outside = await page.evaluate(() => {
            const root = document as unknown as {
              querySelectorAll(selector: string): Iterable<{
                id: string;
                textContent: string;
                getBoundingClientRect(): { top: number; bottom: number; left: number; right: number };
              }>;
            };
            return [...root.querySelectorAll('#item-text, #buttons button')]
              .map((element) => ({ name: element.id || element.textContent, box: element.getBoundingClientRect() }))
              .filter(({ box }) => box.top < 0 || box.left < 0 || box.bottom > 640 || box.right > 360)
              .map(({ name, box }) => `${name}: ${box.left},${box.top} to ${box.right},${box.bottom}`);
          });
          expect(outside).toEqual([]);
          expect(await page.evaluate(() => (globalThis as unknown as { scrollY: number }).scrollY)).toBe(0);
          expect(await instructions.isVisible()).toBe(false);
          await page.locator('#about summary').tap();
          expect(await instructions.isVisible()).toBe(true);
          expect(await page.locator('#purpose').isVisible()).toBe(true);
        } finally {
          await context.close();
        }
      }
    } finally {
      await stopServer(server);
    }
  });

  it('text, buttons and the progress bar meet WCAG AA contrast, the banners and the plot included', async () => {
    const pool = await writePool(20, 25);
    const path = join(pool.dir, 'contrast.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      for (let k = 0; k < 3; k++) expect(await labelShown(page, pool.labels)).not.toBeNull();
      await page.waitForSelector('#plot svg text');
      // The banners and an error, each shown with some text: the page shows them only as things happen.
      await page.evaluate(() => {
        for (const id of ['stop', 'connection', 'waiting', 'message'])
          (document.getElementById(id) as { textContent: string }).textContent = 'Some news';
        (document.getElementById('message') as { className: string }).className = 'error';
      });
      const measured = (
        (await page.evaluate(CONTRAST_PAIRS)) as Array<{ what: string; pairs: Array<[string, string]>; needed: number }>
      ).map(({ what, pairs, needed }) => ({ what, needed, ratio: Math.max(...pairs.map(([one, other]) => contrastRatio(one, other))) }));
      for (const what of ['stop', 'connection', 'waiting', 'message', 'item-text', 'progress fill', 'edge of skip', 'edge of undo'])
        expect(measured.some((m) => m.what.startsWith(what))).toBe(true);
      for (const what of ['plot text', 'plot band', 'plot estimate']) expect(measured.some((m) => m.what.startsWith(what))).toBe(true);
      const low = measured.filter((m) => m.ratio < m.needed).map((m) => `${m.what}: ${m.ratio.toFixed(2)} < ${m.needed}`);
      expect(low).toEqual([]);
    });
  });

  it('with reduced motion asked for, the progress bar moves without its transition', async () => {
    const pool = await writePool(20, 26);
    const path = join(pool.dir, 'motion.session');
    const transition = (page: Page): Promise<string> =>
      page
        .locator('#progress-fill')
        .evaluate((fill) => (getComputedStyle(fill) as unknown as { transitionDuration: string }).transitionDuration);
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      expect(await transition(page)).toBe('0.2s');
    });
    await withServedPage(
      browser,
      pool.args(path),
      async (page, server) => {
        await open(page, server);
        expect(await transition(page)).toBe('0s');
      },
      { reducedMotion: 'reduce' },
    );
  });

  it('the plot is named by its caption for a screen reader, drawn first or redrawn, without a description of its first point alone', async () => {
    const pool = await writePool(20, 27);
    const path = join(pool.dir, 'plot-name.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      for (let k = 0; k < 3; k++) expect(await labelShown(page, pool.labels)).not.toBeNull();
      await page.waitForSelector('#plot svg');
      const caption = await page.locator('#plot-caption').textContent();
      expect(caption).toMatch(/^Solid line: the estimated risk; band between the dashed lines: /);
      // Redrawn after a label, and drawn first by a page opened on a session with labels.
      expect(await accessibleNode(page, '#plot')).toMatchObject({ name: caption, inside: [] });
      await page.reload();
      await page.waitForSelector('#plot svg');
      expect(await accessibleNode(page, '#plot')).toMatchObject({ name: caption, inside: [] });
    });
  });

  it("a screen reader finds the page's parts: its title and language, a heading for the item and for each estimate, named buttons", async () => {
    const pool = await writePool(20, 28);
    const path = join(pool.dir, 'headings.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      expect(await page.title()).toBe('active-testing · labelling');
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      // Moving by heading reaches the item, between the instructions and the estimates.
      expect(await page.getByRole('heading').allTextContents()).toEqual([
        'Label the proposed item',
        'Item',
        'Accuracy',
        'Risk (cross-entropy)',
      ]);
      expect(await page.getByRole('button').evaluateAll((all) => all.map((b) => b.getAttribute('aria-keyshortcuts')))).toEqual([
        '1',
        '2',
        's',
        'u',
      ]);
      for (const name of [...CLASSES, 'skip', 'undo']) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(1);
      // The new item's announcement is hidden from sight, not from screen readers.
      expect((await accessibleNode(page, '#item-announcement')).inside).toContain(await page.locator('#item-text').textContent());
    });
  });

  it("in forced colours (Windows' contrast themes) the progress bar still shows its fill and its track's extent", async () => {
    const pool = await writePool(20, 29);
    const path = join(pool.dir, 'forced.session');
    await withServedPage(
      browser,
      pool.args(path),
      async (page, server) => {
        await open(page, server);
        for (let k = 0; k < 3; k++) expect(await labelShown(page, pool.labels)).not.toBeNull();
        const bar = await page.evaluate(() => {
          const style = (id: string) =>
            getComputedStyle(document.getElementById(id)) as unknown as {
              backgroundColor: string;
              borderTopColor: string;
              borderTopWidth: string;
            };
          const [fill, track] = [style('progress-fill'), style('progress-bar')];
          return { fill: fill.backgroundColor, track: track.backgroundColor, edge: track.borderTopColor, edgeWidth: track.borderTopWidth };
        });
        expect(contrastRatio(bar.fill, bar.track)).toBeGreaterThanOrEqual(3);
        expect(bar.edgeWidth).toBe('1px');
        expect(contrastRatio(bar.edge, bar.track)).toBeGreaterThanOrEqual(3);
      },
      { forcedColors: 'active' },
    );
  });

  it("on a 360 px phone the statistics' values go under their terms, the section's width, not in a column a few words wide", async () => {
    const pool = await writePool(20, 30);
    const path = join(pool.dir, 'stats.session');
    await withServedPage(
      browser,
      pool.args(path),
      async (page, server) => {
        await open(page, server);
        expect(await labelShown(page, pool.labels)).not.toBeNull();
        const widths = await page
          .locator('.stats dd')
          .evaluateAll((values) =>
            values.map((value) =>
              Math.round((value as unknown as { getBoundingClientRect(): { width: number } }).getBoundingClientRect().width),
            ),
          );
        const list = await page.locator('.stats').evaluate((stats) => Math.round(stats.getBoundingClientRect().width));
        expect(widths).toEqual([list, list, list, list]);
      },
      { viewport: { width: 360, height: 640 } },
    );
  });

  it('a button pressed from the keyboard keeps the focus once its label is saved, so Enter labels the next item too', async () => {
    const pool = await writePool(20, 18);
    const path = join(pool.dir, 'focus.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      const first = await shownId(page);
      await page.locator('#buttons button.class').nth(1).focus();
      expect(await press(page, 'Enter')).toBeNull();
      const focused = (): Promise<string | undefined> =>
        page.evaluate(
          () => (document as unknown as { activeElement: { dataset?: Record<string, string> } | null }).activeElement?.dataset?.action,
        );
      expect(await focused()).toBe('label:1');
      const second = await shownId(page);
      expect(second).not.toBe(first);
      expect(await press(page, 'Enter')).toBeNull();
      expect(await focused()).toBe('label:1');
      const labels = journalLabels(path);
      expect([labels.get(first), labels.get(second)]).toEqual([1, 1]);
    });
  });

  it("a button pressed from the keyboard that answers the last item leaves the focus on the item's text, and gets it back once an item is shown", async () => {
    const pool = await writePool(2, 23);
    const path = join(pool.dir, 'focus-done.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      const focused = (): Promise<string | undefined> =>
        page.evaluate(() => {
          const active = (document as unknown as { activeElement: { id: string; dataset: Record<string, string> } | null }).activeElement;
          return active?.dataset.action ?? active?.id;
        });
      await page.locator('#buttons button.class').nth(1).focus();
      expect(await press(page, 'Enter')).toBeNull();
      expect(await press(page, 'Enter')).toBeNull();
      // Its button is disabled with no item to label: the focus is on what says so, not dropped to the page.
      expect(await page.locator('#item-text').textContent()).toBe('Nothing more to label.');
      expect(await focused()).toBe('item-text');
      // The undo brings the last item back, and with it the focus to the button that answered it.
      expect(await press(page, 'u')).toBeNull();
      expect(await shownId(page)).not.toBe('');
      expect(await focused()).toBe('label:1');
      expect(await press(page, 'Enter')).toBeNull();
      expect([...journalLabels(path).values()]).toEqual([1, 1]);
    });
  });

  it('Enter held on a button labels one item: its repeats do not label the items shown after it', async () => {
    const pool = await writePool(20, 20);
    const path = join(pool.dir, 'held.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      const first = await shownId(page);
      await page.locator('#buttons button.class').nth(1).focus();
      const before = await page.evaluate(() => Number(document.body.dataset.seq));
      await page.keyboard.down('Enter');
      await page.waitForFunction((n) => Number(document.body.dataset.seq) > n, before);
      const second = await shownId(page);
      // The key is still down: these are its repeats, reaching the button that has the focus again.
      for (let k = 0; k < 3; k++) await page.keyboard.down('Enter');
      await page.keyboard.up('Enter');
      // Were a repeat taken as a click, its label would be saving now and this skip refused as busy.
      expect(await press(page, 's')).toBeNull();
      expect(await page.locator('#message').textContent()).toBe(`Skipped ${second}`);
      expect(journalLabels(path)).toEqual(new Map([[first, 1]]));
    });
  });

  it('the keys act by their place under another layout: s typing ד (Hebrew) skips, 2 typing é (AZERTY) labels; dead, composing, shifted and AltGr keys do not', async () => {
    const pool = await writePool(20, 21);
    const path = join(pool.dir, 'layout.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      // What such a keyboard sends: the character it types, and the US key at its place.
      const send = async (key: string, code: string): Promise<void> => {
        const before = await page.evaluate(() => Number(document.body.dataset.seq));
        await page.evaluate(([k, c]) => document.dispatchEvent(new KeyboardEvent('keydown', { key: k, code: c })), [key, code]);
        await page.waitForFunction((n) => Number(document.body.dataset.seq) > n, before);
      };
      // None of these is a shortcut: a dead key, a key of an input method's composition, a shifted
      // symbol and AltGr's second character (German 7). Acting, they would record before the skip.
      await page.evaluate(() => {
        const press = (init: ConstructorParameters<typeof KeyboardEvent>[1]) => document.dispatchEvent(new KeyboardEvent('keydown', init));
        press({ key: 'Dead', code: 'Digit1' });
        press({ key: 'Process', code: 'KeyS' });
        press({ key: '!', code: 'Digit1', shiftKey: true });
        press({ key: '{', code: 'Digit7', modifierAltGraph: true });
      });
      const skipped = await shownId(page);
      await send('ד', 'KeyS');
      const labelled = await shownId(page);
      await send('é', 'Digit2');
      expect(journalRecords(path).filter((r) => r.e !== 'propose')).toEqual([
        expect.objectContaining({ e: 'skip', i: Number(skipped.slice(1)) }),
        expect.objectContaining({ e: 'label', i: Number(labelled.slice(1)), y: 1 }),
      ]);
    });
  });

  it("a comparison session shows the difference in risk (target − comparison) and the comparison model's accuracy and risk with their named intervals", async () => {
    const pool = await writePool(60, 21);
    const other = syntheticPool({ poolSize: 60, classCount: 2, seed: 22 });
    await writeNpy(join(pool.dir, 'c.npy'), { data: other.modelScores.data, shape: [60, 2], dtype: 'f8' });
    const path = join(pool.dir, 'comparison.session');
    await withServedPage(browser, [...pool.args(path), '--comparison-scores', join(pool.dir, 'c.npy')], async (page, server) => {
      await open(page, server);
      for (let k = 0; k < 5; k++) expect(await labelShown(page, pool.labels)).not.toBeNull();
      // What the server sends: that it is the session's estimate is checked in the coordinator's tests.
      const sent = await page.evaluate(async () => {
        type Shown = { value: number; lower: number; upper: number };
        const answer = (await (await fetch('/api/state')).json()) as {
          state: { difference: Shown; comparison: { accuracy: Shown; risk: Shown } };
        };
        return answer.state;
      });
      expect(await page.locator('#difference').isVisible()).toBe(true);
      expect({
        heading: await page.locator('#difference h2').textContent(),
        value: await page.locator('#difference-value').textContent(),
        exact: Number(await page.locator('#difference-value').getAttribute('data-value')),
        interval: await page.locator('#difference-interval').textContent(),
      }).toEqual({
        heading: 'Difference in risk (target − comparison)',
        value: sent.difference.value.toFixed(4),
        exact: sent.difference.value,
        interval: `95% confidence sequence (anytime-valid): [${sent.difference.lower.toFixed(4)}, ${sent.difference.upper.toFixed(4)}]`,
      });
      expect(await page.locator('#comparison').isVisible()).toBe(true);
      const shown = async (id: string) => ({
        heading: await page.locator(`#comparison h2:has(+ #${id}-value)`).textContent(),
        value: await page.locator(`#${id}-value`).textContent(),
        exact: Number(await page.locator(`#${id}-value`).getAttribute('data-value')),
        interval: await page.locator(`#${id}-interval`).textContent(),
      });
      expect({ accuracy: await shown('comparison-accuracy'), risk: await shown('comparison-risk') }).toEqual({
        accuracy: {
          heading: 'Comparison model: accuracy',
          value: sent.comparison.accuracy.value.toFixed(4),
          exact: sent.comparison.accuracy.value,
          interval: `95% confidence sequence (anytime-valid): [${sent.comparison.accuracy.lower.toFixed(4)}, ${sent.comparison.accuracy.upper.toFixed(4)}]`,
        },
        risk: {
          heading: 'Comparison model: risk (cross-entropy)',
          value: sent.comparison.risk.value.toFixed(4),
          exact: sent.comparison.risk.value,
          interval: `95% confidence sequence (anytime-valid): [${sent.comparison.risk.lower.toFixed(4)}, ${sent.comparison.risk.upper.toFixed(4)}]`,
        },
      });
    });
  });

  it('live regions change only when their text does: nothing is announced again while others label', async () => {
    const pool = await writePool(60, 19);
    const path = join(pool.dir, 'announce.session');
    const server = await startServer([...pool.args(path), '--max-labels', '4']);
    const [first, second] = [await browser.newContext(), await browser.newContext()];
    try {
      // This page keeps the first proposal open, so the other's labels wait for it and it is told so.
      const holder = await first.newPage();
      await open(holder, server);
      const labeller = await second.newPage();
      await open(labeller, server);
      for (const page of [holder, labeller]) await page.evaluate(WATCH_LIVE_REGIONS);
      expect(await labeller.locator('#budget-intervals').isVisible()).toBe(false);
      for (let k = 1; k <= 3; k++) {
        expect(await labelShown(labeller, pool.labels)).not.toBeNull();
        // Each state is waited for, since the server pushes only the latest of states that come quickly.
        await holder.waitForFunction((n) => document.getElementById('labels')?.textContent?.includes(`(${n} recorded`), k);
      }
      // The fourth label reaches the rule (3 waiting, 1 open): the banner saying so appears once.
      expect(await labelShown(holder, pool.labels)).not.toBeNull();
      await labeller.waitForFunction(() => document.body.dataset.done === 'true');
      // At the budget the page also shows the fixed-budget interval and the bootstrap, each named, as `label` prints them.
      const session = await ActiveTestingSession.open(path, { readOnly: true });
      const { accuracy, risk, labels } = session.estimate();
      const riskValues = riskRange(session.settings.loss);
      await session.close();
      expect(await labeller.locator('#budget-intervals').isVisible()).toBe(true);
      expect(await labeller.locator('#budget-interval-list dt').allTextContents()).toEqual([
        'Accuracy',
        'Accuracy',
        `Risk (${session.settings.loss})`,
        `Risk (${session.settings.loss})`,
      ]);
      expect(await labeller.locator('#budget-interval-list dd').allTextContents()).toEqual([
        `95% fixed-budget interval: ${intervalEnds(accuracy.fixed!, ACCURACY_RANGE, labels)}`,
        `95% bootstrap interval (approximate): ${intervalEnds(accuracy.bootstrap, ACCURACY_RANGE, labels)}`,
        `95% fixed-budget interval: ${intervalEnds(risk.fixed!, riskValues, labels)}`,
        `95% bootstrap interval (approximate): ${intervalEnds(risk.bootstrap, riskValues, labels)}`,
      ]);
      expect(await labeller.locator('#budget-interval-meaning').textContent()).toMatch(
        /^The 95% fixed-budget interval: With 95% probability .* The 95% bootstrap interval \(approximate\): An approximation: /,
      );
      for (const page of [holder, labeller]) {
        const writes = await page.evaluate(() => window.__liveRegionWrites ?? []);
        // Every write to a live region changed its text: an unchanged text written again is read out again.
        const repeated = writes.filter(
          (write, k) =>
            writes
              .slice(0, k)
              .filter((earlier) => earlier.id === write.id)
              .at(-1)?.text === write.text,
        );
        expect(repeated).toEqual([]);
        // The banner is empty until the rule holds: its text appearing is what is read out.
        expect(writes.filter((write) => write.id === 'stop').map((write) => write.text)).toEqual([
          '',
          'You can stop: the stopping rule holds, the budget of labels (--max-labels) is reached. Every label is saved; closing the page loses nothing.',
        ]);
      }
      expect(
        (await holder.evaluate(() => window.__liveRegionWrites ?? [])).filter((write) => write.id === 'waiting').map((w) => w.text),
      ).toEqual([
        '',
        'The estimate waits for the item you have open: 1 label recorded after it counts once you answer it.',
        'The estimate waits for the item you have open: 2 labels recorded after it count once you answer it.',
        'The estimate waits for the item you have open: 3 labels recorded after it count once you answer it.',
        '',
      ]);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await stopServer(server);
    }
  });

  it('a second tab of one browser shows the next item once it is shown again, after the first tab answered its item', async () => {
    const pool = await writePool(100, 12);
    const context = await browser.newContext();
    const server = await startServer(pool.args(join(pool.dir, 'tabs.session')));
    try {
      const [first, second] = [await context.newPage(), await context.newPage()];
      await open(first, server);
      await open(second, server);
      // One browser is one annotator: both tabs show its item.
      const answered = await shownId(first);
      expect(await shownId(second)).toBe(answered);
      expect(await labelShown(first, pool.labels)).toEqual({ id: answered, y: pool.labels[Number(answered.slice(1))] });
      const next = await shownId(first);
      expect(next).not.toBe(answered);
      const before = await second.evaluate(() => Number(document.body.dataset.seq));
      // Headless Chromium shows every tab at once, so switching to it is played here: hidden, then shown.
      await second.evaluate(() => {
        for (const shown of ['hidden', 'visible']) {
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => shown });
          document.dispatchEvent(new Event('visibilitychange'));
        }
      });
      await second.waitForFunction((n) => Number(document.body.dataset.seq) > n, before);
      expect(await shownId(second)).toBe(next);
      expect(await labelShown(second, pool.labels)).toEqual({ id: next, y: pool.labels[Number(next.slice(1))] });
      expect([...journalLabels(join(pool.dir, 'tabs.session')).keys()].sort()).toEqual([answered, next].sort());
    } finally {
      await context.close();
      await stopServer(server);
    }
  });

  // A browser opens at most six connections to one server: six open tabs' live updates held them
  // all, so a seventh tab never loaded and no tab's label was sent.
  it('tabs in the background give up their live connection: a seventh tab of one browser loads and labels', async () => {
    const pool = await writePool(100, 13);
    const path = join(pool.dir, 'seven.session');
    const context = await browser.newContext();
    const server = await startServer(pool.args(path));
    try {
      const hidden: Page[] = [];
      for (let tab = 0; tab < 6; tab++) {
        const page = await context.newPage();
        await open(page, server);
        // Headless Chromium shows every tab at once: going to the background is played here.
        await page.evaluate(() => {
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
          document.dispatchEvent(new Event('visibilitychange'));
        });
        hidden.push(page);
      }
      const seventh = await context.newPage();
      await open(seventh, server);
      const id = await shownId(seventh);
      expect(await labelShown(seventh, pool.labels)).toEqual({ id, y: pool.labels[Number(id.slice(1))] });
      expect([...journalLabels(path).keys()]).toEqual([id]);

      // A tab shown again listens again: it shows the item after the one labelled, and others' labels as they come.
      const first = hidden[0]!;
      const before = await first.evaluate(() => Number(document.body.dataset.seq));
      await first.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await first.waitForFunction((n) => Number(document.body.dataset.seq) > n, before);
      const next = await shownId(first);
      expect(next).not.toBe(id);
      expect(await labelShown(seventh, pool.labels)).toEqual({ id: next, y: pool.labels[Number(next.slice(1))] });
      await first.waitForFunction(() => document.getElementById('labels')?.textContent?.includes('2 recorded') === true);
    } finally {
      await context.close();
      await stopServer(server);
    }
  });

  it('the last tabs of a browser to close give its item to another annotator after a grace; a reload keeps it', async () => {
    const pool = await writePool(100, 14);
    const path = join(pool.dir, 'leave.session');
    const [away, here] = [await browser.newContext(), await browser.newContext()];
    const server = await startServer(pool.args(path));
    const afterGrace = () => new Promise((resolve) => setTimeout(resolve, LEAVE_GRACE_MS + 500));
    try {
      const [first, second] = [await away.newPage(), await away.newPage()];
      await open(first, server);
      await open(second, server);
      const held = await shownId(first);
      expect(await shownId(second)).toBe(held);
      const other = await here.newPage();
      await open(other, server);
      expect(await shownId(other)).not.toBe(held);
      const annotators = (count: string) => other.waitForFunction((n) => document.getElementById('annotators')?.textContent === n, count);
      await annotators('2');
      // One of the two tabs closing says nothing: the other tab shows the item.
      await first.close();
      await afterGrace();
      expect((await labelShown(other, pool.labels))?.id).not.toBe(held);
      expect(await shownId(other)).not.toBe(held);
      // Reloading the last tab closes it and asks again within the grace: it keeps the item.
      await second.reload();
      await second.waitForFunction(() => Number(document.body.dataset.seq) > 0);
      expect(await shownId(second)).toBe(held);
      await afterGrace();
      // Nobody was counted as gone meanwhile.
      await annotators('2');
      expect((await labelShown(other, pool.labels))?.id).not.toBe(held);
      expect(await shownId(other)).not.toBe(held);
      // A third tab asks last; then the window closes with both tabs at once, each perhaps still
      // knowing the other as it closes: the item is given back once the grace has passed, the next
      // label's item is it.
      const third = await away.newPage();
      await open(third, server);
      expect(await shownId(third)).toBe(held);
      await Promise.all([second.close(), third.close()]);
      await annotators('1');
      await afterGrace();
      await labelShown(other, pool.labels);
      expect(await shownId(other)).toBe(held);
      expect(await labelShown(other, pool.labels)).toEqual({ id: held, y: pool.labels[Number(held.slice(1))] });
      expect(journalLabels(path).size).toBe(4);
    } finally {
      await away.close();
      await here.close();
      await stopServer(server);
    }
  });

  it('a page the browser kept to go back to (back/forward cache) asks again when shown: its item went to another annotator meanwhile', async () => {
    const pool = await writePool(100, 16);
    const path = join(pool.dir, 'cached.session');
    const server = await startServer(pool.args(path));
    const caching = await launchChromium(chromium as string, { backForwardCache: true });
    const here = await browser.newContext();
    try {
      const away = await caching.newContext();
      // Chromium keeps no page served with Cache-Control: no-store, as this server serves every
      // answer, to go back to (Safari does): the page is served here without it.
      await away.route(
        (url) => url.pathname === '/',
        async (route) => {
          const response = await route.fetch();
          const headers = response.headers();
          delete headers['cache-control'];
          await route.fulfill({ response, headers });
        },
      );
      const page = await away.newPage();
      await open(page, server);
      const held = await shownId(page);
      const other = await here.newPage();
      await open(other, server);
      const annotators = (count: string) => other.waitForFunction((n) => document.getElementById('annotators')?.textContent === n, count);
      await annotators('2');
      // Going to another page hides this one, its browser's last tab: its item goes to the other annotator after the grace.
      await page.evaluate(() => (window.__kept = true));
      const shown = await page.evaluate(() => Number(document.body.dataset.seq));
      await page.goto('about:blank');
      await annotators('1');
      const first = await labelShown(other, pool.labels);
      expect(await shownId(other)).toBe(held);
      // Back: the same page, kept as it was (no load event), which asks for its item again.
      await page.goBack({ waitUntil: 'commit' });
      await page.waitForFunction((n) => Number(document.body.dataset.seq) > n, shown);
      expect(await page.evaluate(() => window.__kept)).toBe(true);
      const next = await shownId(page);
      expect(next).not.toBe(held);
      expect(next).not.toBe('');
      await annotators('2');
      // It hears the others' labels again.
      expect(await labelShown(other, pool.labels)).toEqual({ id: held, y: pool.labels[Number(held.slice(1))] });
      await page.waitForFunction(() => document.getElementById('labels')?.textContent?.includes('(2 recorded') === true);
      expect(await labelShown(page, pool.labels)).toEqual({ id: next, y: pool.labels[Number(next.slice(1))] });
      expect([...journalLabels(path).keys()].sort()).toEqual([first?.id, held, next].sort());
    } finally {
      await here.close();
      await caching.close();
      await stopServer(server);
    }
  });

  it('two servers on different ports, open in one browser, keep each other signed in', async () => {
    const pool = await writePool(100, 8);
    const context = await browser.newContext();
    const [pageA, pageB] = [await context.newPage(), await context.newPage()];
    const serverA = await startServer(pool.args(join(pool.dir, 'a.session')));
    const serverB = await startServer(pool.args(join(pool.dir, 'b.session')));
    try {
      await open(pageA, serverA);
      expect(await labelShown(pageA, pool.labels)).not.toBeNull();
      await open(pageB, serverB);
      expect(await labelShown(pageB, pool.labels)).not.toBeNull();
      // A's page, after B's URL was opened in the same browser: still signed in.
      expect(await labelShown(pageA, pool.labels)).not.toBeNull();
      expect(journalLabels(join(pool.dir, 'a.session')).size).toBe(2);
      expect(journalLabels(join(pool.dir, 'b.session')).size).toBe(1);
    } finally {
      await context.close();
      await stopServer(serverA);
      await stopServer(serverB);
    }
  });

  it('a session file deleted while served: the page says to restart and disables its buttons, the server says so once', async () => {
    const pool = await writePool(100, 9);
    const path = join(pool.dir, 'deleted.session');
    const context = await browser.newContext();
    const page = await context.newPage();
    const server = await startServer(pool.args(path));
    try {
      await open(page, server);
      expect(await labelShown(page, pool.labels)).not.toBeNull();
      unlinkSync(path);
      const message = await press(page, '1');
      expect(message).toBe(
        'the session file could not be written on the server, so no more labels can be saved: ' +
          "restart `active-testing serve` and open the URL it prints (the server's console says why)",
      );
      expect(await page.locator('#buttons button:enabled').count()).toBe(0);
      expect(await page.locator('#buttons button').count()).toBeGreaterThan(0);
      // Reloading the page shows the same message (the state request is refused too).
      await page.reload();
      await page.waitForFunction(() => Number(document.body.dataset.seq) > 0);
      expect(await page.locator('#message').textContent()).toBe(message);
      expect(await page.locator('#buttons button:enabled').count()).toBe(0);
      const lines = server
        .stderr()
        .split('\n')
        .filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^active-testing serve: the session file could not be written \(.*deleted\.session: the session file was deleted, renamed or replaced .*\), so no more labels can be saved: restart `active-testing serve`/,
      );
      expect(existsSync(path)).toBe(false);
    } finally {
      await context.close();
      await stopServer(server);
    }
  });

  it('pool text with HTML, <script> and terminal escape codes is shown as text', async () => {
    const hostile = [
      '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b> \u001b[31mred\u001b[0m bell\u0007 \u202etxet desrever',
    ];
    const pool = await writePool(6, 1, hostile);
    const path = join(pool.dir, 'hostile.session');
    await withServedPage(browser, pool.args(path), async (page, server) => {
      await open(page, server);
      const text = page.locator('#item-text');
      expect(await text.textContent()).toBe(
        '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b> ␛[31mred␛[0m bell␇ <U+202E>txet desrever',
      );
      expect(await text.locator('script, img, b').count()).toBe(0);
      expect(await text.locator('span.control').count()).toBe(4);
      expect(await page.evaluate(() => typeof window.__pwned)).toBe('undefined');
    });
  });

  // Ids come from the pool file as its texts do: the messages that name them ("Saved …") must not
  // act on a right-to-left override in one, which would show "exe.jpg" for "gpj.exe".
  it('item ids with control characters are shown with them visible in the messages, as in the item line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-'));
    const path = join(dir, 'ids.session');
    const pool = syntheticPool({ poolSize: 6, classCount: 2, seed: 3 });
    const ids = Array.from({ length: 6 }, (_, i) => `r${i}\u202e-gpj.exe\u001b[2J`);
    const texts = ids.map((_, i) => `text ${i}`);
    const { modelScores, surrogateScores } = pool;
    await (await ActiveTestingSession.create(path, { texts, ids, classes: CLASSES, modelScores, surrogateScores, seed: 1 })).close();
    await withServedPage(browser, ['--session', path], async (page, server) => {
      await open(page, server);
      const id = await shownId(page);
      const visible = id.replace('\u202e', '<U+202E>').replace('\u001b', '␛');
      expect(await page.locator('#item-meta').textContent()).toContain(`Item ${visible} · proposal #1`);
      expect(await press(page, '1')).toBeNull();
      const message = page.locator('#message');
      expect(await message.textContent()).toBe(`Saved ${visible}: ${CLASSES[0]}`);
      expect(await message.locator('span.control').count()).toBe(2);
      expect(await press(page, 's')).toBeNull();
      expect(await message.textContent()).toMatch(/^Skipped r\d<U\+202E>-gpj\.exe␛\[2J$/);
    });
  });

  it('refuses requests without the token (401), cross-origin writes and bad bodies, and a session another process holds', async () => {
    const pool = await writePool(50, 2);
    const path = join(pool.dir, 'token.session');
    const server = await startServer(pool.args(path));
    try {
      const before = readFileSync(path);
      for (const [method, route] of [
        ['GET', '/'],
        ['GET', '/api/state'],
        ['GET', '/assets/app.js'],
        ['GET', '/api/events'],
        ['POST', '/api/label'],
        ['POST', '/api/undo'],
      ]) {
        const response = await fetch(server.origin + route, {
          method,
          headers: { 'Content-Type': 'application/json', Origin: server.origin },
          body: method === 'POST' ? JSON.stringify({ id: 'r0', label: 0 }) : undefined,
        });
        expect(response.status, `${method} ${route}`).toBe(401);
      }
      expect((await fetch(`${server.origin}/?token=wrong`)).status).toBe(401);
      expect(readFileSync(path).equals(before)).toBe(true);

      // With the token: the cookies the first visit sets.
      const first = await fetch(server.url, { redirect: 'manual' });
      expect(first.status).toBe(303);
      const cookies = first.headers.getSetCookie();
      expect(cookies.every((cookie) => /HttpOnly/.test(cookie) && /SameSite=Strict/.test(cookie))).toBe(true);
      const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
      const state = (await (await fetch(`${server.origin}/api/state`, { headers: { cookie } })).json()) as { item: { id: string } };
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${server.origin}/api/label`, {
          method: 'POST',
          headers: { cookie, 'Content-Type': 'application/json', Origin: server.origin, ...headers },
          body,
        });
      expect((await post(JSON.stringify({ id: state.item.id, label: 0 }), { Origin: 'http://evil.example' })).status).toBe(403);
      expect((await post('{"id":')).status).toBe(400);
      expect((await post(JSON.stringify({ id: state.item.id, label: 7 }))).status).toBe(400);
      expect((await post(JSON.stringify({ id: state.item.id, label: 0, padding: 'x'.repeat(10_000) }))).status).toBe(413);
      expect((await fetch(`${server.origin}/../package.json`, { headers: { cookie } })).status).toBe(404);
      expect((await fetch(`${server.origin}/assets/../cli.js`, { headers: { cookie } })).status).toBe(404);
      expect(await statusWithHost(`${server.origin}/api/state`, 'evil.example', cookie)).toBe(403);
      // Nothing but the proposal the authorised state request made was written.
      expect(journalRecords(path).map((r) => r.e)).toEqual(['propose']);

      const second = startServer(['--session', path]);
      await expect(second).rejects.toThrow(/is open for writing by process/);
    } finally {
      await stopServer(server);
    }
  });
});

describe('active-testing serve as a process', () => {
  it('stops cleanly on a signal sent twice (Ctrl-C under npm run, timeout): exit 0, the lock released', async () => {
    const pool = await writePool(20, 22);
    const path = join(pool.dir, 'twice.session');
    // Each round is a race the server used to lose (killed by the second signal) most times: a few
    // rounds make that all but certain to show.
    for (const [round, signal] of (['SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM'] as const).entries()) {
      const server = await startServer(round === 0 ? pool.args(path) : ['--session', path]);
      server.child.kill(signal);
      server.child.kill(signal);
      expect(await server.exited, `round ${round}, ${signal} twice: ${server.stderr()}`).toBe(0);
      expect(existsSync(`${path}.lock`)).toBe(false);
    }
  });

  it('stops cleanly on SIGHUP (its terminal window closed) as on SIGTERM: exit 0, the lock released', async () => {
    const pool = await writePool(20, 23);
    const path = join(pool.dir, 'hangup.session');
    const server = await startServer(pool.args(path));
    server.child.kill('SIGHUP');
    expect(await server.exited, server.stderr()).toBe(0);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
