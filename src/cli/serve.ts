import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { UsageError } from '../errors.js';
import { ActiveTestingSession, type StoppingRule } from '../session/session.js';
import { createServeApp, newToken } from '../serve/app.js';
import { AnnotationCoordinator } from '../serve/coordinator.js';
import { syntheticPool } from '../simulate/syntheticPool.js';
import type { Command } from './command.js';
import { CREATE_OPTIONS, LABEL_FLAGS as LABEL_OPTIONS, openOrCreateSession, stoppingRule } from './label.js';
import { flag, integerOption, parseOptions, type OptionValues } from './options.js';

const {
  answers: _answers,
  'answer-column': _answerColumn,
  export: _export,
  import: _import,
  'export-file': _exportFile,
  'import-file': _importFile,
  'export-labels': _exportLabels,
  ...SHARED_OPTIONS
} = LABEL_OPTIONS;

const OPTIONS = {
  ...SHARED_OPTIONS,
  session: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  demo: { type: 'boolean' },
} as const;

/** Where `serve --demo` keeps its session unless --session is given. */
const DEMO_SESSION = 'runs/demo-label.session';
const DEMO_POOL_SIZE = 2_000;
const DEMO_CLASSES = ['negative', 'positive'];

const HELP = `Usage: active-testing serve --session FILE [--port 8080] [--host 127.0.0.1] [stopping options]
       active-testing serve --session FILE --data pool.tsv --classes a,b --model-scores f.npy
                            [--surrogate-scores g.npy] [pool options]   (creates FILE)
       active-testing serve --demo [--session FILE]

Serves a labelling page for a session: open the printed URL (it holds a random access token) in
a browser. The page shows the item active testing proposes, one button per class (keys 1-9),
skip (s) and undo (u), a progress bar toward the stopping rule, the estimated risk and accuracy
with their interval, a plot of the estimate against labels and the variance ratio to random
labelling, and says when you can stop. Several people can label at once, each in their own
browser: each gets their own items. The server is the session's only writer; every label is on
disk before the page shows the next item. Stop it with Ctrl-C; run the same command to resume.

Options:
  --session FILE             the session file (created when pool options are given and it does not exist)
  --port N                   port to listen on (default 8080; 0 picks a free one)
  --host H                   address to listen on (default 127.0.0.1: this machine only). Anyone
                             who can reach it and has the URL can label.
  --demo                     a session on the built-in synthetic pool (${DEMO_POOL_SIZE} items, 2 classes),
                             in ${DEMO_SESSION} unless --session is given
  --max-labels N, --target-half-width W, --min-labels N
                             the stopping rule, as for \`active-testing label\`

Pool options: as for \`active-testing label\` (see \`active-testing label --help\`): --data,
--text-column, --id-column, --classes, --model-scores, --comparison-scores, --surrogate-scores,
--acquisition, --defensive, --loss, --clip, --temperature, --calibration-scores,
--calibration-labels, --seed.
`;

async function demoSession(path: string): Promise<ActiveTestingSession> {
  if (existsSync(path)) return ActiveTestingSession.open(path, { onWarning: (message) => console.error(`warning: ${message}`) });
  mkdirSync(dirname(path), { recursive: true });
  const pool = syntheticPool({ size: DEMO_POOL_SIZE, classes: DEMO_CLASSES.length, seed: 0 });
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

function listen(app: ReturnType<typeof createServeApp>, port: number, host: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(`port ${port} on ${host} is in use: pick another with --port (0 picks a free one)`)
          : error,
      ),
    );
  });
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

function portOption(values: OptionValues): number {
  const port = integerOption(values, 'port') ?? 8080;
  if (port < 0 || port > 65_535) throw new UsageError(`--port: expected an integer in [0, 65535], got ${port}`);
  return port;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'label a session in the browser: a local web page for one or several annotators',
  help: HELP,
  async run(argv) {
    const values = parseOptions(argv, OPTIONS);
    const demo = flag(values, 'demo');
    if (demo && CREATE_OPTIONS.some((name) => values[name] !== undefined)) throw new UsageError('--demo takes no pool options');
    const path = (values.session as string | undefined) ?? (demo ? DEMO_SESSION : undefined);
    if (path === undefined || path === '') throw new UsageError('--session is required');
    const port = portOption(values);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    const rule: StoppingRule = stoppingRule(values);
    const session = demo ? await demoSession(path) : await openOrCreateSession(path, values, 'serve');
    let server: ServerType | undefined;
    try {
      const coordinator = new AnnotationCoordinator(session, rule);
      const token = newToken();
      // Bound to this machine, only requests naming it are answered (a guard against DNS rebinding).
      const hostNames = (actualPort: number) => new Set(['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${actualPort}`));
      let allowedHosts: Set<string> | undefined;
      const app = createServeApp(coordinator, {
        token,
        get allowedHosts() {
          return allowedHosts;
        },
      });
      server = await listen(app, port, host);
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      if (isLoopback(host)) allowedHosts = hostNames(actualPort);
      const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
      console.log(`Labelling ${path}: open http://${urlHost}:${actualPort}/?token=${token}`);
      console.log('Stop with Ctrl-C (every label is already saved).');
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    } finally {
      if (server !== undefined && 'closeAllConnections' in server) server.closeAllConnections();
      server?.close();
      await session.close();
    }
  },
};
