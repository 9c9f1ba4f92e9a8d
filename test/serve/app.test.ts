import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Hono } from 'hono';
import { hostCheck } from '../../src/cli/serve.js';
import { createServeApp, newToken } from '../../src/serve/app.js';
import { AnnotationCoordinator, type ClientView, type PublicState } from '../../src/serve/coordinator.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

const SIZE = 100;

/** A session in memory, or in the file `path`. */
async function newSession(path: string | null = null): Promise<ActiveTestingSession> {
  const pool = syntheticPool({ poolSize: SIZE, classCount: 2, seed: 4 });
  return ActiveTestingSession.create(path, {
    texts: Array.from({ length: SIZE }, (_, i) => `item ${i}`),
    classes: ['negative', 'positive'],
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    seed: 1,
  });
}

/** One browser's cookies for the host 127.0.0.1: as browsers do, one jar for every port. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  names(): string[] {
    return [...this.cookies.keys()];
  }
}

/**
 * A served session on `origin` (the browser's `Host` header is its host), and a browser tab's
 * requests to it, whose writes carry `pageOrigin` (the page's own, unless a proxy stands between).
 */
async function served(
  origin: string,
  answersHost?: (host: string) => boolean,
  coordinator?: AnnotationCoordinator,
  pageOrigin = origin,
  closing?: AbortSignal,
) {
  const token = newToken();
  const app: Hono = createServeApp(coordinator ?? new AnnotationCoordinator(await newSession()), { token, answersHost, closing });
  const host = new URL(origin).host;
  return {
    /** Opens the printed URL: the server sets its cookies and redirects. */
    async signIn(jar: CookieJar): Promise<void> {
      const response = await app.request(`${origin}/?token=${token}`, { headers: { host, cookie: jar.header() } });
      expect(response.status).toBe(303);
      jar.store(response);
    },
    get: (jar: CookieJar, route: string, headers: Record<string, string>) =>
      app.request(`${origin}${route}`, { headers: { host, cookie: jar.header(), ...headers } }),
    events: (jar: CookieJar) => app.request(`${origin}/api/events`, { headers: { host, cookie: jar.header() } }),
    state: (jar: CookieJar, asHost = host, cookie = jar.header()) =>
      app.request(`${origin}/api/state`, { headers: { host: asHost, cookie } }),
    /** A request as a script of the page's origin would send it: a body of `{}` unless GET or HEAD. */
    request: (jar: CookieJar, method: string, route: string, headers: Record<string, string> = {}) =>
      app.request(`${origin}${route}`, {
        method,
        headers: { host, origin: pageOrigin, cookie: jar.header(), 'Content-Type': 'application/json', ...headers },
        body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
      }),
    post: (jar: CookieJar, route: string, body: object, contentType = 'application/json') =>
      app.request(`${origin}${route}`, {
        method: 'POST',
        headers: { host, origin: pageOrigin, cookie: jar.header(), 'Content-Type': contentType },
        body: JSON.stringify(body),
      }),
  };
}

describe('the serve app', () => {
  afterEach(() => vi.restoreAllMocks());

  it('says on the page what the answers are for, and when the annotator may stop: at any time without a stopping rule', async () => {
    const page = async (coordinator: AnnotationCoordinator): Promise<string> => {
      const jar = new CookieJar();
      const server = await served('http://127.0.0.1:8095', undefined, coordinator);
      await server.signIn(jar);
      const response = await server.get(jar, '/', {});
      expect(response.status).toBe(200);
      return /<p id="purpose">(.*)<\/p>/.exec(await response.text())?.[1] ?? '';
    };
    const purpose = "Your answers estimate the model's accuracy and risk on this pool of items, shown beside the item as they come in.";
    expect(await page(new AnnotationCoordinator(await newSession()))).toBe(
      `${purpose} No stopping rule was given, so you may stop at any time: the interval shown, a 95% confidence sequence (anytime-valid), stays valid whenever you stop.`,
    );
    expect(await page(new AnnotationCoordinator(await newSession(), { maxLabels: 40 }))).toBe(
      `${purpose} Labelling stops after 40 labels (--max-labels); the page says when.`,
    );
  });

  it('keeps one keep-alive timer per open event stream, however many changes it has pushed', async () => {
    // Timers of the streams' 15 s keep-alive that are neither cleared nor run yet (none runs in this test).
    const waiting = new Set<unknown>();
    const setTimer = globalThis.setTimeout;
    const clearTimer = globalThis.clearTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((run: () => void, ms: number) => {
      const timer = setTimer(run, ms);
      if (ms === 15_000) waiting.add(timer);
      return timer;
    }) as typeof setTimeout);
    vi.spyOn(globalThis, 'clearTimeout').mockImplementation((timer) => {
      waiting.delete(timer);
      clearTimer(timer);
    });
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8087');
    await server.signIn(jar);
    const stream = await server.events(jar);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const events = async (count: number) => {
      while ((received.match(/^event: state$/gm) ?? []).length < count) received += (await reader.read()).value ?? '';
    };
    await events(1);
    let { item } = (await (await server.state(jar)).json()) as ClientView;
    for (let k = 1; k <= 20; k++) {
      ({ item } = (await (await server.post(jar, '/api/label', { id: item?.id, label: k % 2 })).json()) as ClientView);
      await events(k + 1);
    }
    // One, or none while the stream is still writing the last change (which nothing reads here).
    expect(waiting.size).toBeLessThanOrEqual(1);
    await reader.cancel();
    for (const timer of waiting) clearTimer(timer as NodeJS.Timeout);
  });

  it('writes each state as JSON once for all its event streams', async () => {
    // Every answer pushes a state to every open page, and a state holds the plot's points (36 kB
    // of JSON with 400): made again for each page, its JSON was most of the server's work.
    const server = await served('http://127.0.0.1:8086');
    const PAGES = 4;
    const LABELS = 5;
    const jars = Array.from({ length: PAGES }, () => new CookieJar());
    for (const jar of jars) await server.signIn(jar);
    const written = new Map<number, number>();
    const stringify = JSON.stringify;
    vi.spyOn(JSON, 'stringify').mockImplementation(((value: unknown, ...rest: []) => {
      if (typeof value === 'object' && value !== null && 'waitingFor' in value) {
        const { version } = value as PublicState;
        written.set(version, (written.get(version) ?? 0) + 1);
      }
      return stringify(value, ...rest);
    }) as typeof JSON.stringify);
    const readers = await Promise.all(
      jars.map(async (jar) => (await server.events(jar)).body!.pipeThrough(new TextDecoderStream()).getReader()),
    );
    const received = readers.map(() => '');
    const versions = (k: number): number[] =>
      [...received[k].matchAll(/^data: (.*)$/gm)].map((match) => (JSON.parse(match[1]) as PublicState).version);
    const readUntil = async (version: number) => {
      for (let k = 0; k < PAGES; k++) while (!versions(k).includes(version)) received[k] += (await readers[k].read()).value ?? '';
    };
    let { item, state } = (await (await server.state(jars[0])).json()) as ClientView;
    for (let n = 0; n < LABELS; n++)
      ({ item, state } = (await (await server.post(jars[0], '/api/label', { id: item?.id, label: n % 2 })).json()) as ClientView);
    await readUntil(state.version);
    // Every page had the last state, and no state was made into JSON twice.
    expect(written.get(state.version)).toBe(1);
    expect(Math.max(...written.values())).toBe(1);
    for (const reader of readers) await reader.cancel();
  });

  it('pushes one state for a label and the draw of the next item made with it', async () => {
    // Each answer changed the state twice at once (the label, then the next item drawn, one more
    // open): a page was sent both, each with the plot's points, where the second says it all.
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8085');
    await server.signIn(jar);
    const reader = (await server.events(jar)).body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const pushed = (): PublicState[] => [...received.matchAll(/^data: (.*)$/gm)].map((match) => JSON.parse(match[1]) as PublicState);
    while (pushed().length < 1) received += (await reader.read()).value ?? '';
    const LABELS = 6;
    let { item, state } = (await (await server.state(jar)).json()) as ClientView;
    while (pushed().at(-1)!.version !== state.version) received += (await reader.read()).value ?? '';
    const before = pushed().length;
    for (let n = 0; n < LABELS; n++) {
      ({ item, state } = (await (await server.post(jar, '/api/label', { id: item?.id, label: n % 2 })).json()) as ClientView);
      while (pushed().at(-1)!.version !== state.version) received += (await reader.read()).value ?? '';
    }
    // One state a label, the last as the label's answer has it: the next item drawn, one open.
    expect(pushed().length - before).toBe(LABELS);
    expect(pushed().at(-1)).toEqual(state);
    expect(state).toMatchObject({ recorded: LABELS, pending: 1 });
    await reader.cancel();
  });

  it('ends its event streams when the server shuts down, and a stream asked for after at once', async () => {
    const closing = new AbortController();
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8089', undefined, undefined, undefined, closing.signal);
    await server.signIn(jar);
    const read = async (response: Response): Promise<string> => {
      let text = '';
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) text += chunk;
      return text;
    };
    const open = await server.events(jar);
    const reader = open.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toMatch(/^event: state\ndata: /);
    closing.abort();
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    const later = await server.events(jar);
    expect(later.status).toBe(200);
    expect(await read(later)).toBe('');
  });

  it('pushes a change that comes while the page is slow to read the last one at once, not after the keep-alive wait', async () => {
    // The streams' 15 s keep-alive timers never run here: every state must come without one.
    const setTimer = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((run: () => void, ms: number) =>
      ms === 15_000 ? setTimer(() => undefined, 2 ** 31 - 1) : setTimer(run, ms)) as typeof setTimeout);
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8088');
    await server.signIn(jar);
    const stream = await server.events(jar);
    // Read directly, with nothing reading ahead (as a pipe would), so that the stream's writes wait for the reader.
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const recorded = (): number[] =>
      [...received.matchAll(/^data: (.*)$/gm)].map((match) => (JSON.parse(match[1]) as PublicState).recorded);
    while (recorded().length < 1) received += decoder.decode((await reader.read()).value, { stream: true });
    // Labels while the page reads nothing: the stream's write of a change waits for the reader, and
    // the next changes come meanwhile.
    const LABELS = 4;
    let { item } = (await (await server.state(jar)).json()) as ClientView;
    for (let k = 0; k < LABELS; k++)
      ({ item } = (await (await server.post(jar, '/api/label', { id: item?.id, label: k % 2 })).json()) as ClientView);
    while (!recorded().includes(LABELS)) received += decoder.decode((await reader.read()).value, { stream: true });
    expect(recorded().at(-1)).toBe(LABELS);
    await reader.cancel();
  }, 30_000);

  it('keeps two servers on different ports of one host signed in, in one browser', async () => {
    const jar = new CookieJar();
    const a = await served('http://127.0.0.1:8081');
    const b = await served('http://127.0.0.1:8082');
    await a.signIn(jar);
    const first = await a.state(jar);
    expect(first.status).toBe(200);
    const shown = ((await first.json()) as ClientView).item?.id;
    await b.signIn(jar);
    expect(jar.names().sort()).toEqual(['at_client_8081', 'at_client_8082', 'at_token_8081', 'at_token_8082']);
    const again = await a.state(jar);
    expect(again.status).toBe(200);
    // Still the same annotator on A: it is shown the item it had.
    expect(((await again.json()) as ClientView).item?.id).toBe(shown);
    expect((await b.state(jar)).status).toBe(200);
  });

  it('answers a browser on port 80, whose Host header has no port, and still refuses other hosts', async () => {
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1', hostCheck('127.0.0.1', 80));
    await server.signIn(jar);
    expect(jar.names().sort()).toEqual(['at_client_80', 'at_token_80']);
    const state = await server.state(jar);
    expect(state.status).toBe(200);
    const { item } = (await state.json()) as ClientView;
    const labelled = await server.post(jar, '/api/label', { id: item?.id, label: 1 });
    expect(labelled.status).toBe(200);
    expect(((await labelled.json()) as ClientView).state.labels).toBe(1);
    const refused = await server.state(jar, 'evil.example');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe(
      '403: this server does not answer to the host "evil.example" (a guard against DNS rebinding). Open the URL that `active-testing serve` printed, or start it with --allowed-host NAME to use another name.',
    );
    expect((await server.state(jar, '127.0.0.1:8080')).status).toBe(403);
  });

  it("refuses the API to another site's page, which would draw items for this annotator by reading the state", async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const server = await served('http://127.0.0.1:8087', undefined, coordinator);
    await server.signIn(jar);
    for (const site of ['same-site', 'cross-site']) {
      for (const route of ['/api/state', '/api/events']) {
        const response = await server.get(jar, route, { 'sec-fetch-site': site });
        expect(response.status, `${route} from a ${site} page`).toBe(403);
        expect(await response.json()).toEqual({ error: 'cross-origin request refused' });
      }
    }
    expect(coordinator.state().pending).toBe(0);
    // The page itself, a link typed into the address bar, and a client without fetch metadata.
    for (const headers of [{ 'sec-fetch-site': 'same-origin' }, { 'sec-fetch-site': 'none' }, {}] as Record<string, string>[]) {
      expect((await server.get(jar, '/api/state', headers)).status).toBe(200);
    }
    expect(coordinator.state().pending).toBe(1);
  });

  it('replaces a client cookie that is not one it set when the printed URL is opened, so the page works again', async () => {
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8084');
    // A cookie of that name the server never set (another program on this host set it: browsers
    // keep cookies per host, not per port) is refused, and the message says to open the URL.
    jar.set('at_client_8084', 'stale');
    await server.signIn(jar);
    const state = await server.state(jar);
    expect(await state.json()).not.toHaveProperty('error');
    expect(state.status).toBe(200);
    expect(jar.header()).toMatch(/at_client_8084=[0-9a-f]{24}(;|$)/);
  });

  it('finds its own cookies among others of the same names, which another program on the host may have set', async () => {
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8086');
    await server.signIn(jar);
    const shown = ((await (await server.state(jar)).json()) as ClientView).item?.id;
    // A cookie set for a longer path comes first in the header (RFC 6265, 5.4): a page on another
    // port of this host can set such cookies, with names this server uses.
    const tossed = `at_token_8086=wrong; at_client_8086=zzz; at_client_8086=0123456789abcdef0123456; ${jar.header()}`;
    const again = await server.state(jar, '127.0.0.1:8086', tossed);
    expect(again.status).toBe(200);
    // Still the same annotator: it is shown the item it had.
    expect(((await again.json()) as ClientView).item?.id).toBe(shown);
    expect((await server.state(jar, '127.0.0.1:8086', 'at_token_8086=wrong; at_client_8086=zzz')).status).toBe(401);
  });

  it('takes a JSON body whatever the case of its media type, and refuses other media types by name', async () => {
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8085');
    await server.signIn(jar);
    const { item } = (await (await server.state(jar)).json()) as ClientView;
    // Media types are case-insensitive (RFC 9110, 8.3.1).
    const labelled = await server.post(jar, '/api/label', { id: item?.id, label: 1 }, 'Application/JSON; charset=UTF-8');
    expect(await labelled.json()).not.toHaveProperty('error');
    expect(labelled.status).toBe(200);
    for (const type of ['application/jsonp', 'application/json-seq', 'text/plain']) {
      const refused = await server.post(jar, '/api/skip', { id: item?.id }, type);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        error: `body: expected a JSON object (Content-Type: application/json), got ${JSON.stringify(type)}`,
      });
    }
  });

  it('once a write fails, answers every action with 503 and says the server must be restarted, and tells its listeners once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'at-serve-app-')), 'pool.session');
    const session = await newSession(path);
    const coordinator = new AnnotationCoordinator(session);
    const stops: string[] = [];
    coordinator.onStopped((error) => stops.push(error.operatorMessage));
    const jar = new CookieJar();
    const server = await served('http://127.0.0.1:8083', undefined, coordinator);
    await server.signIn(jar);
    const first = (await (await server.state(jar)).json()) as ClientView;
    const labelled = await server.post(jar, '/api/label', { id: first.item?.id, label: 0 });
    expect(labelled.status).toBe(200);
    const { item } = (await labelled.json()) as ClientView;
    unlinkSync(path);

    const refused = await server.post(jar, '/api/label', { id: item?.id, label: 0 });
    expect(refused.status).toBe(503);
    const { error } = (await refused.json()) as { error: string };
    // The page is not told the server's file path; the operator's console is told why (below).
    expect(error).toBe(
      'the session file could not be written on the server, so no more labels can be saved: ' +
        "restart `active-testing serve` and open the URL it prints (the server's console says why)",
    );
    expect(error).not.toContain(path);
    for (const response of [
      await server.state(jar),
      await server.post(jar, '/api/skip', { id: item?.id }),
      await server.post(jar, '/api/undo', {}),
    ]) {
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error });
    }
    expect(stops).toEqual([
      `the session file could not be written (${path}: the session file was deleted, renamed or replaced since this process opened it, ` +
        'so a record written now would be lost), so no more labels can be saved: restart `active-testing serve` and open the URL it prints',
    ]);
    await session.close();
  });
});

describe('the page script', () => {
  // Sent whole (1.1 MB, no-store) on every load: a reload on a slow link could take longer than
  // the 15 s grace in which a reloaded page keeps its item.
  it('is sent gzipped to a browser that takes gzip, and answered 304 when the browser has it', async () => {
    const assetsDir = mkdtempSync(join(tmpdir(), 'serve-assets-'));
    try {
      const bytes = Buffer.from('console.log("the labelling page");\n'.repeat(2000));
      writeFileSync(join(assetsDir, 'app.js'), bytes);
      const token = newToken();
      const app = createServeApp(new AnnotationCoordinator(await newSession()), { token, assetsDir });
      const origin = 'http://127.0.0.1:8095';
      const jar = new CookieJar();
      jar.store(await app.request(`${origin}/?token=${token}`, { headers: { host: '127.0.0.1:8095' } }));
      const get = (headers: Record<string, string>, cookie = jar.header()) =>
        app.request(`${origin}/assets/app.js`, { headers: { host: '127.0.0.1:8095', cookie, ...headers } });

      const zipped = await get({ 'accept-encoding': 'gzip, deflate, br, zstd' });
      expect(zipped.status).toBe(200);
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      expect(zipped.headers.get('vary')).toBe('Accept-Encoding');
      expect(zipped.headers.get('cache-control')).toBe('private, no-cache');
      const body = Buffer.from(await zipped.arrayBuffer());
      expect(body.length).toBeLessThan(bytes.length / 20);
      expect(gunzipSync(body).equals(bytes)).toBe(true);

      for (const acceptEncoding of [undefined, 'identity', 'gzip;q=0, deflate', 'br']) {
        const plain = await get(acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding });
        expect(plain.headers.get('content-encoding')).toBeNull();
        expect(Buffer.from(await plain.arrayBuffer()).equals(bytes)).toBe(true);
      }
      for (const acceptEncoding of ['*', 'x-gzip', 'GZIP ; q=0.5']) {
        expect((await get({ 'accept-encoding': acceptEncoding })).headers.get('content-encoding')).toBe('gzip');
      }

      // One tag per encoding; a browser that has the body asks with its tag (weak through a proxy, or *).
      const etag = zipped.headers.get('etag')!;
      const plainTag = (await get({})).headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]{22}-gz"$/);
      expect(plainTag).toBe(etag.replace('-gz', ''));
      for (const ifNoneMatch of [`"other", ${etag}`, `W/${etag}`, '*']) {
        const cached = await get({ 'accept-encoding': 'gzip', 'if-none-match': ifNoneMatch });
        expect(cached.status).toBe(304);
        expect((await cached.arrayBuffer()).byteLength).toBe(0);
      }
      expect((await get({ 'if-none-match': etag })).status).toBe(200);
      expect((await get({ 'if-none-match': plainTag })).status).toBe(304);
      // Only with the token: without the cookie a 401 that names no tag.
      const stranger = await get({ 'if-none-match': etag, 'accept-encoding': 'gzip' }, '');
      expect(stranger.status).toBe(401);
      expect(stranger.headers.get('etag')).toBeNull();
      // The API is still never kept.
      const state = await app.request(`${origin}/api/state`, { headers: { host: '127.0.0.1:8095', cookie: jar.header() } });
      expect(state.headers.get('cache-control')).toBe('no-store');
    } finally {
      rmSync(assetsDir, { recursive: true, force: true });
    }
  });
});

describe('the serve API', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses a body field it does not take by name, for a label, a skip and an undo, and writes nothing', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const server = await served('http://127.0.0.1:8090', undefined, coordinator);
    await server.signIn(jar);
    const { item } = (await (await server.state(jar)).json()) as ClientView;
    const id = item?.id;
    for (const [route, body, error] of [
      ['/api/label', { id, label: 1, annotator: 'someone else' }, 'body.annotator: expected a known option (valid: id, label)'],
      ['/api/label', { id, lable: 1 }, 'body.lable: expected a known option, did you mean label? (valid: id, label)'],
      ['/api/skip', { id, label: 1 }, 'body.label: expected a known option (valid: id)'],
      ['/api/undo', { id }, 'body.id: expected a known option (valid: resolved)'],
      [
        '/api/undo',
        { resolved: 'last' },
        'resolved: expected the number of labels and skips recorded when the undo was asked (an integer, 0 or more), got "last"',
      ],
    ] as const) {
      const response = await server.post(jar, route, body);
      expect(await response.json(), route).toEqual({ error });
      expect(response.status).toBe(400);
    }
    expect(coordinator.state()).toMatchObject({ recorded: 0, skipped: 0, pending: 1 });
  });

  it('refuses an undo whose body is not a JSON object, as it does a label', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const server = await served('http://127.0.0.1:8091', undefined, coordinator);
    await server.signIn(jar);
    const { item } = (await (await server.state(jar)).json()) as ClientView;
    expect((await server.post(jar, '/api/label', { id: item?.id, label: 0 })).status).toBe(200);
    const garbage = await server.post(jar, '/api/undo', {}, 'text/plain');
    expect(garbage.status).toBe(400);
    expect(coordinator.state().recorded).toBe(1);
    const undone = await server.post(jar, '/api/undo', {});
    expect(await undone.json()).not.toHaveProperty('error');
    expect(coordinator.state().recorded).toBe(0);
  });

  it('undoes with `resolved` only while the session has that many labels and skips, else 409', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const server = await served('http://127.0.0.1:8096', undefined, coordinator);
    await server.signIn(jar);
    const { item } = (await (await server.state(jar)).json()) as ClientView;
    expect((await server.post(jar, '/api/label', { id: item?.id, label: 0 })).status).toBe(200);
    const stale = await server.post(jar, '/api/undo', { resolved: 2 });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toEqual({
      error: 'nothing undone: the page showed 2 labels and skips, the session now has 1 (one was undone or added meanwhile)',
    });
    expect(coordinator.state().recorded).toBe(1);
    expect((await server.post(jar, '/api/undo', { resolved: 1 })).status).toBe(200);
    expect(coordinator.state().recorded).toBe(0);
  });

  it('answers a route asked with the wrong method with 405 and the methods it takes, and an unknown API route with JSON', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const origin = 'http://127.0.0.1:8092';
    const server = await served(origin, undefined, coordinator);
    await server.signIn(jar);
    const ask = (method: string, route: string) => server.request(jar, method, route);
    for (const [method, route, allow] of [
      ['GET', '/api/label', 'POST'],
      ['PUT', '/api/skip', 'POST'],
      ['POST', '/api/state', 'GET'],
      ['DELETE', '/api/events', 'GET'],
      ['GET', '/api/leave', 'POST'],
    ] as const) {
      const response = await ask(method, route);
      expect(response.status, `${method} ${route}`).toBe(405);
      expect(response.headers.get('allow')).toBe(allow);
      expect(await response.json()).toEqual({ error: `${method} is not allowed on ${route}: use ${allow}` });
    }
    const page = await ask('POST', '/');
    expect(page.status).toBe(405);
    expect(await page.text()).toBe('POST is not allowed on /: use GET, HEAD');
    const missing = await ask('GET', '/api/labels');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'not found' });
    expect(coordinator.state()).toMatchObject({ recorded: 0, pending: 0 });
  });

  it("takes a closing page's leave (204) only with the token, from the page's origin, naming its tab", async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const origin = 'http://127.0.0.1:8094';
    const server = await served(origin, undefined, coordinator);
    const leave = vi.spyOn(coordinator, 'leave');
    expect((await server.post(jar, '/api/leave', {})).status).toBe(401);
    await server.signIn(jar);
    expect((await server.state(jar)).status).toBe(200);
    const left = await server.request(jar, 'POST', '/api/leave');
    expect(left.status).toBe(204);
    expect(leave).toHaveBeenCalledTimes(1);
    // The tabs it knows open, comma-separated (spaces allowed), or none.
    const client = leave.mock.calls[0]![0];
    expect(leave).toHaveBeenLastCalledWith(client, undefined, []);
    await server.request(jar, 'POST', '/api/leave', { 'X-Tab': 'tab-1', 'X-Open-Tabs': 'tab-2, tab-3' });
    expect(leave).toHaveBeenLastCalledWith(client, 'tab-1', ['tab-2', 'tab-3']);
    await server.request(jar, 'POST', '/api/leave', { 'X-Tab': 'tab-1', 'X-Open-Tabs': '' });
    expect(leave).toHaveBeenLastCalledWith(client, 'tab-1', []);
    const badOpen = await server.request(jar, 'POST', '/api/leave', { 'X-Tab': 'tab-1', 'X-Open-Tabs': 'tab-2,,tab-3' });
    expect(badOpen.status).toBe(400);
    expect(await badOpen.json()).toEqual({
      error: 'X-Open-Tabs: expected a tab id: 1 to 64 lowercase letters, digits or dashes, got ""',
    });
    leave.mockClear();
    const badTab = await server.get(jar, '/api/state', { 'X-Tab': 'not a tab' });
    expect(badTab.status).toBe(400);
    expect(await badTab.json()).toEqual({
      error: 'X-Tab: expected a tab id: 1 to 64 lowercase letters, digits or dashes, got "not a tab"',
    });
    const foreign = await served(origin, undefined, coordinator, 'http://evil.example');
    await foreign.signIn(jar);
    expect((await foreign.post(jar, '/api/leave', {})).status).toBe(403);
    expect(leave).not.toHaveBeenCalled();
  });

  it('answers an unexpected error with JSON naming no file, and prints the error on the console', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const server = await served('http://127.0.0.1:8093', undefined, coordinator);
    await server.signIn(jar);
    const failure = new Error('EIO: i/o error, read /home/operator/secret/pool.session');
    vi.spyOn(coordinator, 'view').mockRejectedValue(failure);
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    const response = await server.state(jar);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "internal server error (the server's console says why)" });
    // One line, as the command line reports an unexpected error (the stack only with ACTIVE_TESTING_DEBUG).
    expect(printed).toHaveBeenCalledWith(
      'unexpected error answering GET /api/state: EIO: i/o error, read /home/operator/secret/pool.session (set ACTIVE_TESTING_DEBUG=1 to see where it happened)',
    );
  });

  it('takes writes from the page behind an HTTPS reverse proxy that passes the Host on, and still refuses other origins', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    // The proxy speaks HTTPS to the browser and HTTP to the server: the page's origin is https://.
    const answers = hostCheck('127.0.0.1', 8080, ['labels.example.org']);
    const server = await served('http://labels.example.org', answers, coordinator, 'https://labels.example.org');
    await server.signIn(jar);
    const { item } = (await (await server.state(jar)).json()) as ClientView;
    const labelled = await server.post(jar, '/api/label', { id: item?.id, label: 1 });
    expect(await labelled.json()).not.toHaveProperty('error');
    expect(labelled.status).toBe(200);
    expect(coordinator.state().recorded).toBe(1);
    for (const origin of ['https://evil.example', 'https://labels.example.org:8443', 'https://127.0.0.1:8080', 'null']) {
      const refused = await served('http://labels.example.org', answers, coordinator, origin);
      await refused.signIn(jar);
      const response = await refused.post(jar, '/api/undo', {});
      expect(response.status, origin).toBe(403);
      expect(await response.json()).toEqual({ error: 'cross-origin write refused' });
    }
    expect(coordinator.state().recorded).toBe(1);
  });

  it('answers HEAD on the API with 405, drawing no item and opening no event stream; the page and script take it', async () => {
    const jar = new CookieJar();
    const coordinator = new AnnotationCoordinator(await newSession());
    const server = await served('http://127.0.0.1:8094', undefined, coordinator);
    await server.signIn(jar);
    const subscribe = vi.spyOn(coordinator, 'subscribe');
    for (const route of ['/api/state', '/api/events']) {
      const response = await server.request(jar, 'HEAD', route);
      expect(response.status, route).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
    }
    expect(subscribe).not.toHaveBeenCalled();
    expect(coordinator.state().pending).toBe(0);
    expect((await server.request(jar, 'HEAD', '/')).status).toBe(200);
  });
});
