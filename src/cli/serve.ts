import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Server, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { serve } from '@hono/node-server';
import { InputError, ReceivedKind, UsageError } from '../errors.js';
import { assertFolderWritable, makeFolders } from '../io/atomic.js';
import { faultPause } from '../io/fault.js';
import { ActiveTestingSession, type StoppingRule } from '../session/session.js';
import { createServeApp, hostRefusal, newToken, SECURITY_HEADERS } from '../serve/app.js';
import { AnnotationCoordinator, checkBrowserIds } from '../serve/coordinator.js';
import { syntheticPool } from '../simulate/syntheticPool.js';
import type { Command } from './command.js';
import { optionHelp } from '../options/schema.js';
import { CREATE_OPTIONS, checkSessionSource, openOrCreateSession, stoppingRule } from './label.js';
import { checkSurrogateGiven, commandFlags, commandValues, parseOptions } from './options.js';
import { onStopSignals } from './signals.js';

/** Where `serve --demo` keeps its session unless --session is given. */
const DEMO_SESSION = 'runs/demo-label.session';
const DEMO_POOL_SIZE = 2_000;
const DEMO_CLASSES = ['negative', 'positive'];

const HELP = `Usage: active-testing serve --session FILE [--port 8080] [--host 127.0.0.1]
                            [--allowed-host NAME,...] [stopping options]
       active-testing serve --session FILE --data pool.tsv --classes a,b --model-scores f.npy
                            [--surrogate-scores g.npy] [pool options]   (creates FILE)
       active-testing serve --demo [--session FILE]

Serves a labelling page for a session: open the printed URL (it holds a random access token) in
a browser. The page shows the item active testing proposes, one button per class (keys 1-9, 0),
skip (s) and undo (u), a progress bar toward the stopping rule, the estimated risk and accuracy
with their interval, a plot of the estimate against labels and the variance ratio to random
labelling, and says when you can stop. Several people can label at once, each in their own
browser: each gets their own items. The server is the session's only writer; every label is on
disk before the page shows the next item. Stop it with Ctrl-C; run the same command to resume.

Options:
${optionHelp('serve', 29, ['session', 'port', 'host', 'allowedHost', 'demo', 'maxLabels', 'targetHalfWidth', 'minLabels']).join('\n')}

Pool options: as for \`active-testing label\` (see \`active-testing label --help\`): --data,
--text-column, --id-column, --classes, --model-scores, --comparison-scores, --surrogate-scores,
--acquisition, --defensive, --loss, --clip, --temperature, --planned-labels,
--calibration-scores, --calibration-labels, --seed.

Exit codes: 0 stopped by Ctrl-C, SIGTERM or SIGHUP (every label is already saved), 1 bad input or
failure (also a stop after the session file could not be written), 2 usage error.`;

async function demoSession(path: string): Promise<ActiveTestingSession> {
  if (existsSync(path)) return ActiveTestingSession.open(path, { onWarning: (message) => console.error(`warning: ${message}`) });
  // A path inside a file is named as --session's, not as a failed mkdir's "already exists".
  await assertFolderWritable(dirname(path), '--session');
  await makeFolders(dirname(path));
  const pool = syntheticPool({ poolSize: DEMO_POOL_SIZE, classCount: DEMO_CLASSES.length, seed: 0 });
  const texts = Array.from(
    pool.labels,
    (label, i) =>
      `Demo item ${i}. The true class of this synthetic item is "${DEMO_CLASSES[label]}" — label it as you like; the estimate treats your answers as the truth.`,
  );
  return ActiveTestingSession.create(path, {
    texts,
    classes: DEMO_CLASSES,
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    seed: 0,
  });
}

/** What answers the server's requests once it has started: the labelling app. */
interface RequestHandler {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * The server's request handler from the moment it listens: each request waits until `handler`
 * settles (the session is opened or created, which takes seconds on a large pool), then the
 * handler answers it, with the same checks as any other (a page left open from before a restart
 * is told that the token changed). A request whose client gave up meanwhile (its signal aborted)
 * is dropped, not acted on: a label nobody waits for the answer of is not recorded, nor an item
 * drawn for a page that has closed.
 *
 * @example
 * const server = serve({ fetch: afterStart(openSessionThenCreateApp()), port: 0 });
 */
export function afterStart(handler: Promise<RequestHandler>): (request: Request) => Promise<Response> {
  return async (request) => {
    const started = await handler;
    if (request.signal.aborted)
      return Response.json(
        { error: 'the request was given up before the server had started: not acted on' },
        { status: 503, headers: SECURITY_HEADERS },
      );
    return started.fetch(request);
  };
}

/**
 * What answers the requests when the server could not start: 503, the console saying why, after
 * the `Host` check that the app makes (`answersHost`), so that a page of another site reaching the
 * server under its own name (DNS rebinding) learns nothing, not even that it failed; with the
 * app's security headers.
 */
export function notStarted(answersHost: (host: string) => boolean): RequestHandler {
  return {
    fetch(request) {
      const refused = hostRefusal(request.headers.get('host') ?? undefined, answersHost);
      if (refused !== undefined)
        return new Response(refused, { status: 403, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=UTF-8' } });
      return Response.json(
        { error: "the server could not start (the server's console says why)" },
        { status: 503, headers: SECURITY_HEADERS },
      );
    },
  };
}

/** How long a shutdown waits for requests in progress to be answered before it cuts their connections (ms). */
const SHUTDOWN_GRACE_MS = 2_000;

function listen(fetch: (request: Request) => Response | Promise<Response>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Plain HTTP: `serve` makes an http.Server unless given another createServer.
    const server = serve({ fetch, port, hostname: host }, () => resolve(server)) as Server;
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, port, host)));
  });
}

/** The answers `server` is writing, each from its request until its connection is done with it. */
function answersInProgress(server: Server): Set<ServerResponse> {
  const answers = new Set<ServerResponse>();
  server.on('request', (_request, response: ServerResponse) => {
    answers.add(response);
    response.once('close', () => answers.delete(response));
  });
  return answers;
}

/**
 * Stops `server` gracefully: it takes no new connection, sends the answers in progress (`answers`:
 * a label being saved gets its answer, so the page can say it is saved), ends the event streams
 * (`endStreams`: they never end on their own) and closes each connection once it is idle.
 * Connections still open after `graceMs` (a client that does not read its answer) are cut, so that
 * a shutdown never hangs.
 */
async function closeServer(server: Server, answers: Set<ServerResponse>, endStreams: () => void, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A keep-alive connection stays open after its answer, and close() closes only the connections
  // idle when it is called: each answer finished from here on closes the connections left idle.
  const closeIdle = (): void => server.closeIdleConnections();
  const watch = (response: ServerResponse): void => {
    if (!response.writableFinished) response.once('finish', closeIdle);
  };
  answers.forEach(watch);
  server.on('request', (_request, response: ServerResponse) => watch(response));
  endStreams();
  let cut: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => (cut = setTimeout(resolve, graceMs)));
  await Promise.race([closed, graceOver]);
  clearTimeout(cut);
  server.closeAllConnections();
  await closed;
}

/**
 * Why the server could not listen, in one line naming the option to change (bad input, exit 1: the
 * command was well formed, the machine refused the value); other errors as they are.
 */
function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new InputError({
        argument: '--port',
        expected: `a port free on ${host} (0 picks one)`,
        received: ReceivedKind.noted(port, 'it is in use'),
      });
    case 'EACCES':
      return new InputError({
        argument: '--port',
        expected: `a port above 1023, or more privileges (0 picks a free one)`,
        received: ReceivedKind.noted(port, `it needs privileges on ${host}`),
      });
    case 'EADDRNOTAVAIL':
      return new InputError({
        argument: '--host',
        expected: 'an address of this machine (127.0.0.1 is this machine only, 0.0.0.0 every interface)',
        received: host,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new InputError({
        argument: '--host',
        expected: 'a host name or address of this machine, such as 127.0.0.1 or 0.0.0.0 (no such host name)',
        received: host,
      });
    default:
      return error;
  }
}

/**
 * The address to bind for `--host`: an IPv6 address as a URL writes it, in brackets (`[::1]`, as
 * the printed URL shows it), taken without them, as the system names it. Anything else as given.
 *
 * @example
 * bindAddress('[::1]'); // '::1'
 * bindAddress('127.0.0.1'); // '127.0.0.1'
 */
export function bindAddress(host: string): string {
  const inner = /^\[(.*)\]$/.exec(host)?.[1];
  return inner !== undefined && isIP(inner) === 6 ? inner : host;
}

/** Whether a bound address stands for every interface (0.0.0.0, or :: for IPv6 and IPv4 both). */
function isEveryInterface(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/**
 * The host to print in the URL: the bound address, except that an address meaning every
 * interface (0.0.0.0, ::), which a browser cannot open, is printed as this machine's loopback.
 *
 * @example
 * urlHost('::'); // '[::1]'
 */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The hosts other machines open the server at, bound to every interface: this machine's network
 * addresses (IPv4 for 0.0.0.0, IPv6 too for ::, which Node binds to both), as a URL writes them.
 * The printed loopback URL opens on this machine only. Loopback and link-local addresses are left
 * out: a link-local one needs the interface named in the URL, which browsers do not take.
 *
 * @example
 * const lan = { address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: null } as const;
 * networkHosts('0.0.0.0', { eth0: [lan] }); // ['192.168.1.20']
 * networkHosts('127.0.0.1', { eth0: [lan] }); // []
 */
export function networkHosts(bound: string, interfaces = networkInterfaces()): string[] {
  if (!isEveryInterface(bound)) return [];
  return Object.values(interfaces)
    .flat()
    .flatMap((info) => {
      if (info === undefined || info.internal) return [];
      if (info.family === 'IPv4') return [info.address];
      return bound === '::' && !/^fe[89ab]/i.test(info.address) ? [`[${info.address}]`] : [];
    });
}

/** A host name as a `Host` header carries it: lower case, an IPv6 address in brackets. */
function headerName(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/** A `Host` header's name and port (undefined when it has none). */
function splitHost(header: string): { name: string; port: string | undefined } {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(header.toLowerCase());
  return match === null ? { name: header.toLowerCase(), port: undefined } : { name: match[1]!, port: match[2] };
}

/** Every address of this machine's network interfaces, as `Host` headers name them. */
function machineAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flat()
      .flatMap((info) => (info === undefined ? [] : [headerName(info.address)])),
  );
}

/**
 * Whether a request's `Host` header names this server, bound to `bound` on `port`: a guard against
 * DNS rebinding, where a page of another site reaches the server under that site's name. Answered:
 * the loopback names and the bound address (bound to every interface, 0.0.0.0 or ::, any address
 * of this machine) with the server's port, or without one on port 80, where browsers leave it
 * out; and the names of `allowed` with any port or none, since a reverse proxy or a port mapping
 * puts its own. Names compare in any case, as DNS names do.
 *
 * @example
 * const answers = hostCheck('0.0.0.0', 8080, ['labels.example.org']);
 * answers('localhost:8080'); // true
 * answers('labels.example.org'); // true
 * answers('attacker.example:8080'); // false
 */
export function hostCheck(bound: string, port: number, allowed: readonly string[] = []): (host: string) => boolean {
  const anyPort = new Set(allowed.map(headerName));
  const everyInterface = isEveryInterface(bound);
  // 0.0.0.0 and :: stand for every interface: the interfaces' addresses are answered instead.
  const named = new Set(['127.0.0.1', 'localhost', '[::1]', ...(everyInterface ? [] : [headerName(bound)])]);
  return (host) => {
    const { name, port: given } = splitHost(host);
    if (anyPort.has(name)) return true;
    if (given === undefined ? port !== 80 : given !== String(port)) return false;
    // Looked up per request: interfaces come and go while the server runs (a new lease, a VPN).
    return named.has(name) || (everyInterface && machineAddresses().has(name));
  };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Label a session in the browser: a local web page for one or several annotators',
  help: HELP,
  async run(argv) {
    const given = commandValues(parseOptions(argv, commandFlags('serve')), 'serve');
    const demo = given.demo === true;
    if (demo && CREATE_OPTIONS.some((name) => given[name] !== undefined)) throw new UsageError('--demo takes no pool options');
    const path = (given.session as string | undefined) ?? (demo ? DEMO_SESSION : undefined);
    if (path === undefined) throw new UsageError('--session is required');
    const port = (given.port as number | undefined) ?? 8080;
    const host = bindAddress((given.host as string | undefined) ?? '127.0.0.1');
    const rule: StoppingRule = stoppingRule(given);
    if (!demo && !existsSync(path)) checkSurrogateGiven(given);
    if (!demo) checkSessionSource(path, given);
    // The port is taken before the session is opened or created (seconds on a large pool, and a new
    // file written): a port in use is refused first, with nothing written. Requests that come
    // meanwhile (a page left open from before a restart) wait for the app.
    let started = (_app: RequestHandler): void => {};
    const server = await listen(afterStart(new Promise<RequestHandler>((resolve) => (started = resolve))), port, host);
    const answers = answersInProgress(server);
    const closing = new AbortController();
    const address = server.address();
    const actualPort = typeof address === 'object' && address !== null ? address.port : port;
    const answersHost = hostCheck(host, actualPort, (given.allowedHost as string[] | undefined) ?? []);
    let session: ActiveTestingSession | undefined;
    // Listened to from before the session is opened (seconds on a large pool, its lock taken) until
    // it is closed: a stop meanwhile waits for the open, then closes the session unserved, rather
    // than Node ending the process where it stands (exit by signal, lock file left behind). Signals
    // after the first change nothing: Ctrl-C under `npm run` reaches the server twice, from the
    // terminal and from npm; `timeout` signals twice.
    let stopRequested = false;
    let stop = (): void => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    // SIGHUP too: a server started from a terminal window that is then closed stops as on SIGTERM.
    const release = onStopSignals(() => {
      stopRequested = true;
      stop();
    });
    // Set by a write that fails, up to the end of the shutdown: a label in flight when the stop
    // came is saved (or fails) while the server closes.
    let failed = false;
    try {
      await faultPause('serve:open');
      session = demo ? await demoSession(path) : await openOrCreateSession(path, given, 'serve', (pool) => checkBrowserIds(pool.ids));
      if (stopRequested) return 0;
      const coordinator = new AnnotationCoordinator(session, rule);
      // The server keeps answering (the pages say it must be restarted), so its operator is told too,
      // and the run exits 1 when stopped: it ended unable to save labels.
      coordinator.onStopped((error) => {
        failed = true;
        console.error(`active-testing serve: ${error.operatorMessage}`);
      });
      const token = newToken();
      started(createServeApp(coordinator, { token, answersHost, closing: closing.signal }));
      console.log(`Labelling ${path}: open http://${urlHost(host)}:${actualPort}/?token=${token}`);
      const others = networkHosts(host);
      if (others.length > 0)
        console.log(
          [
            'From another machine (the people labelling there), open:',
            ...others.map((name) => `  http://${name}:${actualPort}/?token=${token}`),
          ].join('\n'),
        );
      console.log('Stop with Ctrl-C (every label is already saved).');
      await stopped;
    } finally {
      // Requests still waiting, and any that come until the server closes, are answered 503 when it
      // could not start (a handler already given stays).
      started(notStarted(answersHost));
      // The session is closed (its lock released) once nothing more can be asked of it.
      await closeServer(server, answers, () => closing.abort(), SHUTDOWN_GRACE_MS);
      try {
        await session?.close();
      } finally {
        release();
      }
    }
    return failed ? 1 : 0;
  },
};
