import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { ActiveTestingError, InputError } from '../errors.js';
import { faultPause } from '../io/fault.js';
import { checkKnownKeys } from '../io/suggest.js';
import { SessionStateError } from '../session/errors.js';
import { SessionStoppedError, type AnnotationCoordinator } from './coordinator.js';
import type { ClientView, PublicState } from './protocol.js';
import { pageHtml } from './page-html.js';
import { purposeText } from './estimate-display.js';
import { ANYTIME } from './interval.js';

/** Largest request body accepted (bytes): a label is a few dozen. */
export const MAX_BODY_BYTES = 4096;

/**
 * The names of the access-token and client cookies. Browsers keep cookies per host, not per port,
 * so two servers on one machine would overwrite each other's cookies (signing the other's page
 * out): the names carry the port the browser reached this server on.
 */
function cookieNames(url: URL): { token: string; client: string } {
  const port = url.port === '' ? '80' : url.port;
  return { token: `at_token_${port}`, client: `at_client_${port}` };
}

/**
 * Every value the request's cookies give `name`, in header order. A browser sends each cookie of
 * that name it holds for the path, those set for longer paths first, and a page on another port of
 * this host can set them (cookies are kept per host): taking only the first would let such a page
 * sign this server's page out for as long as the browser keeps its cookie.
 */
function cookieValues(c: Context, name: string): string[] {
  const values: string[] = [];
  for (const pair of (c.req.header('cookie') ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at !== -1 && pair.slice(0, at).trim() === name) values.push(pair.slice(at + 1).trim());
  }
  return values;
}

/** How the app checks requests. */
export interface ServeAppOptions {
  /** The access token in the printed URL. */
  token: string;
  /** Folder holding the bundled page script (`app.js`); default the `page/` folder next to the built CLI. */
  assetsDir?: string;
  /**
   * Whether the server answers a request naming this `Host` (a guard against DNS rebinding; see
   * `hostCheck`); others, and requests without one, are refused with 403. Undefined answers any.
   */
  answersHost?: (host: string) => boolean;
  /**
   * Aborted when the server shuts down: event streams, which never end on their own, then end, so
   * that their connections close and the server can stop.
   */
  closing?: AbortSignal;
}

/**
 * Why a request naming this `Host` (undefined: none) is refused with 403 (a guard against DNS
 * rebinding), or undefined when the server answers it: every host when `answersHost` is undefined.
 */
export function hostRefusal(host: string | undefined, answersHost: ((host: string) => boolean) | undefined): string | undefined {
  if (answersHost === undefined || (host !== undefined && answersHost(host))) return undefined;
  return `403: this server does not answer to the host ${JSON.stringify(host ?? '')} (a guard against DNS rebinding). Open the URL that \`active-testing serve\` printed, or start it with --allowed-host NAME to use another name.`;
}

/** A fresh random access token (URL-safe). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `id` is a client id as the server sets them (12 random bytes, hex). */
function isClientId(id: string): boolean {
  return /^[0-9a-f]{24}$/.test(id);
}

function defaultAssetsDir(): string {
  return fileURLToPath(new URL('./page/', import.meta.url));
}

/**
 * The methods each route takes. Not HEAD for the API's reads, which would run a GET's action with
 * no one to read its answer: reading the state draws an item for the annotator, and an event
 * stream nobody reads would keep its subscription for as long as the server runs.
 */
const ROUTE_METHODS: Record<string, string> = {
  '/': 'GET, HEAD',
  '/assets/app.js': 'GET, HEAD',
  '/api/state': 'GET',
  '/api/events': 'GET',
  '/api/label': 'POST',
  '/api/skip': 'POST',
  '/api/undo': 'POST',
  '/api/leave': 'POST',
};

/**
 * The headers every answer of the server carries, the app's and those sent before it runs; the page
 * script alone may be kept (`private, no-cache`, revalidated on every load).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
};

/**
 * An error as the page shows it: typed errors become 400 (bad input), 409 (state conflict) or 503
 * (the session stopped after a failed write: only a restart helps) with their message.
 */
function errorResponse(c: Context, error: unknown): Response {
  if (error instanceof InputError) return c.json({ error: error.message }, 400);
  if (error instanceof SessionStoppedError) return c.json({ error: error.message }, 503);
  if (error instanceof SessionStateError) return c.json({ error: error.message }, 409);
  if (error instanceof ActiveTestingError) return c.json({ error: error.message }, 500);
  throw error;
}

/**
 * A refusal as the client reads it: `{ error }` JSON on the API, whose page reads every answer as
 * JSON (a text body there would show as "the server cannot be reached"), plain text elsewhere.
 */
function refusal(c: Context, status: 401 | 404 | 405 | 500, message: string): Response {
  return new URL(c.req.url).pathname.startsWith('/api/') ? c.json({ error: message }, status) : c.text(message, status);
}

/**
 * The request's JSON object body, holding no key but `fields`: a misspelt or extra field (an
 * `annotator` a script hoped to set) is refused by name rather than ignored.
 */
async function jsonBody(c: Context, fields: readonly string[]): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  // The media type before any parameters (`; charset=…`), compared case-insensitively as HTTP says.
  if (type.split(';')[0].trim().toLowerCase() !== 'application/json')
    throw new InputError({
      argument: 'body',
      expected: 'a JSON object (Content-Type: application/json)',
      received: type || 'no content type',
    });
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new InputError({ argument: 'body', expected: 'valid JSON' });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new InputError({ argument: 'body', expected: 'a JSON object' });
  checkKnownKeys(body, fields, 'body');
  return body as Record<string, unknown>;
}

/** The page script as served: its bytes and their gzip (a third of the size), each with its entity tag. */
interface PageScript {
  plain: { bytes: Buffer; etag: string };
  gzip: { bytes: Buffer; etag: string };
}

const gzipAsync = promisify(gzip);

/** Reads and compresses the page script off the event loop: gzipping its 1.1 MB takes about 50 ms. */
async function loadPageScript(path: string): Promise<PageScript> {
  const bytes = await readFile(path);
  const tag = createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
  // One tag per encoding, as HTTP asks of two different bodies.
  return { plain: { bytes, etag: `"${tag}"` }, gzip: { bytes: await gzipAsync(bytes), etag: `"${tag}-gz"` } };
}

/** Whether an `Accept-Encoding` header takes gzip: named (or `x-gzip`, or `*`) without `q=0`. */
function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  const weights = new Map(
    header.split(',').map((part) => {
      const [coding = '', ...parameters] = part.trim().toLowerCase().split(';');
      const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return [coding.trim(), q === undefined ? 1 : Number(q.slice(2))] as const;
    }),
  );
  const weight = weights.get('gzip') ?? weights.get('x-gzip') ?? weights.get('*') ?? 0;
  return weight > 0;
}

/** Whether an `If-None-Match` header names `etag` (compared weakly, as HTTP says: `W/` set aside) or is `*`. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((given) => {
    const tag = given.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/**
 * Each state's JSON as the event streams send it, made once however many pages are open: a state
 * holds the plot's points (about 36 kB of JSON with its 400), and every answer pushes one or two
 * states to every page. A state is a new object after every change (`AnnotationCoordinator.state`).
 */
const stateJson = new WeakMap<PublicState, string>();

function stateData(state: PublicState): string {
  let json = stateJson.get(state);
  if (json === undefined) {
    json = JSON.stringify(state);
    stateJson.set(state, json);
  }
  return json;
}

/**
 * The labelling web app: the page, its script, a JSON API and a server-sent event stream, every
 * request checked for the access token (cookie after the first visit) and every write for its
 * origin. Serves no file other than the bundled page script.
 *
 * @example
 * const app = createServeApp(new AnnotationCoordinator(session), { token: newToken() });
 */
export function createServeApp(coordinator: AnnotationCoordinator, options: ServeAppOptions): Hono {
  const app = new Hono();
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  let script: Promise<PageScript> | undefined;

  app.use('*', async (c, next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);
    const host = c.req.header('host');
    const refused = hostRefusal(host, options.answersHost);
    if (refused !== undefined) return c.text(refused, 403);
    const url = new URL(c.req.url);
    const names = cookieNames(url);
    const fromUrl = url.searchParams.get('token');
    if (c.req.method === 'GET' && url.pathname === '/' && fromUrl !== null && sameToken(fromUrl, options.token)) {
      const cookie = { httpOnly: true, sameSite: 'Strict', path: '/' } as const;
      setCookie(c, names.token, options.token, cookie);
      // A client cookie this server did not set (another program on this host can set one: cookies
      // are kept per host, not per port) is replaced, or every action would be refused with a
      // message saying to open this very URL.
      if (!cookieValues(c, names.client).some(isClientId)) setCookie(c, names.client, randomBytes(12).toString('hex'), cookie);
      return c.redirect('/', 303);
    }
    if (!cookieValues(c, names.token).some((given) => sameToken(given, options.token))) {
      return refusal(c, 401, '401: missing or wrong access token. Open the URL that `active-testing serve` printed.');
    }
    // A page on another port of this host is the same site, so the browser sends it the cookies: a
    // request of its to the API (reading the state draws and records an item for this annotator) is
    // refused by the fetch metadata every current browser sends. Clients without it (curl, scripts)
    // still need the token.
    const site = c.req.header('sec-fetch-site');
    if (url.pathname.startsWith('/api/') && site !== undefined && site !== 'same-origin' && site !== 'none') {
      return c.json({ error: 'cross-origin request refused' }, 403);
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      // The page's origin: this very host over HTTP, or over HTTPS behind a reverse proxy that
      // passes the browser's Host on. Another program's page would have to be served from the host
      // name and port this server (or its proxy) answers; one on another port or scheme of this host
      // is refused by the fetch metadata above.
      const origin = c.req.header('origin');
      if (origin === undefined || host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`))
        return c.json({ error: 'cross-origin write refused' }, 403);
    }
    await next();
  });

  const client = (c: Context): string => {
    const id = cookieValues(c, cookieNames(new URL(c.req.url)).client).find(isClientId);
    if (id === undefined) throw new InputError({ argument: 'client', expected: 'the client cookie set by the page: open the printed URL' });
    return id;
  };
  const respond = async (c: Context, action: () => Promise<ClientView>): Promise<Response> => {
    try {
      coordinator.heard(client(c), c.req.header('x-tab'));
      const view = await action();
      // A test holds a write's answer (its label already saved) to stop the server meanwhile.
      if (c.req.method === 'POST') await faultPause('serve:answer', options.closing);
      return c.json(view);
    } catch (error) {
      return errorResponse(c, error);
    }
  };
  const limit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: (c) => c.json({ error: `request body over ${MAX_BODY_BYTES} bytes` }, 413) });

  // A route asked with another method is told which it takes (405 and `Allow`), not that it does
  // not exist. Checked before the routes: Hono answers HEAD with the GET route.
  for (const [path, methods] of Object.entries(ROUTE_METHODS)) {
    app.use(path, async (c, next) => {
      if (methods.split(', ').includes(c.req.method)) return next();
      c.header('Allow', methods);
      return refusal(c, 405, `${c.req.method} is not allowed on ${path}: use ${methods}`);
    });
  }
  app.get('/', (c) => {
    const shown = coordinator.state().risk.name;
    return c.html(pageHtml(purposeText(coordinator.rule, shown === ANYTIME ? shown : null)));
  });
  app.get('/assets/app.js', async (c) => {
    try {
      script ??= loadPageScript(`${assetsDir}/app.js`);
      const { plain, gzip } = await script;
      const sent = acceptsGzip(c.req.header('accept-encoding')) ? gzip : plain;
      // Kept but asked again on every load, by this browser only (the API stays no-store): a reload
      // gets a 304 instead of 1.1 MB, which on a slow link took longer than the grace in which a
      // reloaded page keeps its item.
      c.header('Cache-Control', 'private, no-cache');
      c.header('ETag', sent.etag);
      c.header('Vary', 'Accept-Encoding');
      if (matchesEtag(c.req.header('if-none-match'), sent.etag)) return c.body(null, 304);
      const type = { 'Content-Type': 'text/javascript; charset=utf-8' };
      return c.body(new Uint8Array(sent.bytes), 200, sent === gzip ? { ...type, 'Content-Encoding': 'gzip' } : type);
    } catch (error) {
      script = undefined;
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      return c.text(missing ? 'the page script is missing: run `npm run build`' : 'the page script could not be read', 500);
    }
  });
  app.get('/api/state', (c) => respond(c, () => coordinator.view(client(c))));
  app.post('/api/label', limit, (c) =>
    respond(c, async () => {
      const who = client(c);
      const body = await jsonBody(c, ['id', 'label']);
      return coordinator.label(who, body.id, body.label);
    }),
  );
  app.post('/api/skip', limit, (c) =>
    respond(c, async () => {
      const who = client(c);
      const body = await jsonBody(c, ['id']);
      return coordinator.skip(who, body.id);
    }),
  );
  app.post('/api/undo', limit, (c) =>
    respond(c, async () => {
      const who = client(c);
      const body = await jsonBody(c, ['resolved']);
      return coordinator.undo(who, body.resolved);
    }),
  );
  // Sent by each tab of a browser as it closes, naming the tabs it knows open (`X-Open-Tabs`,
  // comma-separated); nobody reads the answer.
  app.post('/api/leave', async (c) => {
    try {
      const open = c.req.header('x-open-tabs');
      await coordinator.leave(
        client(c),
        c.req.header('x-tab'),
        open === undefined || open.trim() === '' ? [] : open.split(',').map((id) => id.trim()),
      );
      return c.body(null, 204);
    } catch (error) {
      return errorResponse(c, error);
    }
  });
  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      let latest: PublicState | undefined = coordinator.state();
      let wake: (() => void) | undefined;
      const unsubscribe = coordinator.subscribe((state) => {
        latest = state;
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      const closing = options.closing;
      const shuttingDown = (): boolean => closing?.aborted === true;
      const shutDown = (): void => wake?.();
      closing?.addEventListener('abort', shutDown);
      try {
        while (!stream.aborted && !stream.closed && !shuttingDown()) {
          if (latest !== undefined) {
            // The changes of one action come in one go (a label, then the draw of the annotator's
            // next item, one more open): pushed once they are all made, as one state, not one
            // state each, every one holding the plot's points.
            await nextTurn();
            if (stream.aborted || stream.closed || shuttingDown()) break;
            const state = latest;
            latest = undefined;
            await stream.writeSSE({ event: 'state', data: stateData(state) });
            // A change that came while the write waited (on a page slow to read) found no one to wake:
            // it is sent now, not after the keep-alive wait.
            continue;
          }
          await new Promise<void>((resolve) => {
            const keepAlive = setTimeout(resolve, 15_000);
            keepAlive.unref();
            // Cleared when a change wakes the stream: otherwise every change pushed would leave a
            // timer (and its closure) behind for 15 s, many thousands with many pages open.
            wake = () => {
              clearTimeout(keepAlive);
              resolve();
            };
          });
          if (latest === undefined && !stream.aborted && !shuttingDown()) await stream.write(': keep-alive\n\n');
        }
      } finally {
        closing?.removeEventListener('abort', shutDown);
        unsubscribe();
      }
    }),
  );
  app.notFound((c) => refusal(c, 404, 'not found'));
  // An error of no known kind: its message may name the server's files, so the client is told only
  // where to look, and the operator's console gets the error itself.
  app.onError((error, c) => {
    // One line, as the command line reports an unexpected error; where it happened only on request.
    const where = process.env.ACTIVE_TESTING_DEBUG ? error.stack : undefined;
    console.error(
      where ??
        `unexpected error answering ${c.req.method} ${c.req.path}: ${error.message.replace(/\s*\n\s*/g, ' ')} (set ACTIVE_TESTING_DEBUG=1 to see where it happened)`,
    );
    return refusal(c, 500, "internal server error (the server's console says why)");
  });
  return app;
}
