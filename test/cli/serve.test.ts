import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { afterStart, hostCheck, networkHosts, notStarted, urlHost } from '../../src/cli/serve.js';
import { writeNpy } from '../../src/io/npy.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';
import { startServer, stopServer } from '../browser/serve-helpers.js';

describe('active-testing serve: usage errors', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'at-serve-cli-')), 'none.session');

  it('needs a session, and pool options to create one', async () => {
    const none = await runCliCaptured(['serve']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--session is required');
    const absent = await runCliCaptured(['serve', '--session', missing]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain(`${missing} does not exist: give --data, --classes and --model-scores to create it`);
  });

  it('checks the port and refuses label-only options', async () => {
    const port = await runCliCaptured(['serve', '--session', missing, '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: expected an integer in [0, 65535], got "70000"');
    expect((await runCliCaptured(['serve', '--session', missing, '--answers', 'a.tsv'])).code).toBe(2);
    const demo = await runCliCaptured(['serve', '--demo', '--data', 'pool.tsv']);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain('--demo takes no pool options');
  });

  it('refuses a --demo session path inside a file in one line naming --session, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-cli-'));
    const aFile = join(dir, 'a-file');
    writeFileSync(aFile, 'x');
    const refused = await runCliCaptured(['serve', '--demo', '--session', join(aFile, 'demo.session'), '--port', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `active-testing serve: --session: expected a folder (or a path where one can be created), got "${aFile}" (it is a file)`,
    );
    expect(refused.stdout).toBe('');
    expect(readdirSync(dir)).toEqual(['a-file']);
  });

  it('refuses --min-labels without --target-half-width, which it would have no rule to delay, before writing anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-cli-'));
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
    const data = join(dir, 'pool.tsv');
    writeFileSync(data, ['id\tsentence', ...Array.from({ length: 20 }, (_, i) => `s${i}\titem ${i}`)].join('\n') + '\n');
    const scores = join(dir, 'f.npy');
    await writeNpy(scores, { data: pool.modelScores.data, shape: [20, 2], dtype: 'f8' });
    const session = join(dir, 'new.session');
    const create = ['--session', session, '--data', data, '--classes', 'a,b', '--model-scores', scores];
    for (const command of [['serve', '--port', '0'], ['label']]) {
      const alone = await runCliCaptured([...command, ...create, '--max-labels', '10', '--min-labels', '5']);
      expect(alone.code).toBe(2);
      expect(alone.stderr).toContain(
        `active-testing ${command[0]}: --min-labels applies to --target-half-width (labels before the width may stop): give --target-half-width W too`,
      );
      expect(readdirSync(dir).sort()).toEqual(['f.npy', 'pool.tsv']);
    }
  });

  it('refuses a pool with an id longer than the page sends back, in one line, before the session is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-cli-'));
    const pool = syntheticPool({ poolSize: 3, classCount: 2, seed: 1 });
    const data = join(dir, 'pool.tsv');
    writeFileSync(data, `id\tsentence\na\tone\n${'y'.repeat(1200)}\ttwo\nc\tthree\n`);
    const scores = join(dir, 'f.npy');
    await writeNpy(scores, { data: pool.modelScores.data, shape: [3, 2], dtype: 'f8' });
    const run = await runCliCaptured([
      'serve',
      '--port',
      '0',
      '--session',
      join(dir, 'new.session'),
      '--data',
      data,
      '--classes',
      'a,b',
      '--model-scores',
      scores,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `active-testing serve: session ids: expected ids of at most 1000 characters (3000 bytes as JSON) to label in the browser (\`active-testing label\` takes any), got "${'y'.repeat(60)}"… (a string of 1200 characters) (item 1's id)`,
    );
    expect(readdirSync(dir).sort()).toEqual(['f.npy', 'pool.tsv']);
  });

  it("says in one line that a session does not read the pool file's label column, and how to label from it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-cli-'));
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
    const data = join(dir, 'pool.tsv');
    const rows = Array.from({ length: 20 }, (_, i) => `s${i}\titem ${i}\t${'ab'[pool.labels[i]!]}`);
    writeFileSync(data, ['id\tsentence\tlabel', ...rows].join('\n') + '\n');
    const scores = join(dir, 'f.npy');
    await writeNpy(scores, { data: pool.modelScores.data, shape: [20, 2], dtype: 'f8' });
    const session = join(dir, 'new.session');
    const server = await startServer(['--session', session, '--data', data, '--classes', 'a,b', '--model-scores', scores]);
    expect(await stopServer(server)).toBe(0);
    expect(server.stderr()).toBe(
      `warning: ${data} has a "label" column, which a session does not read (the annotators give its labels); ` +
        `to label the session from it, after stopping the server, run active-testing label --session ${session} --answers ${data}\n`,
    );
  });

  it('says in one line, exit 1, when --host is no address of this machine or no host at all, or --port is taken', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'at-serve-cli-')), 'pool.session');
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
    const texts = Array.from({ length: 20 }, (_, i) => `item ${i}`);
    const { modelScores, surrogateScores } = pool;
    await (await ActiveTestingSession.create(path, { texts, classes: ['a', 'b'], modelScores, surrogateScores })).close();
    // 192.0.2.1 is reserved for documentation (TEST-NET-1): never an address of this machine.
    const foreign = await runCliCaptured(['serve', '--session', path, '--port', '0', '--host', '192.0.2.1']);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toBe(
      'active-testing serve: --host: expected an address of this machine (127.0.0.1 is this machine only, 0.0.0.0 every interface), got "192.0.2.1"',
    );
    const unknown = await runCliCaptured(['serve', '--session', path, '--port', '0', '--host', 'no-such-host.invalid']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^active-testing serve: --host: expected a host name .*\(no such host name\), got "no-such-host\.invalid"$/,
    );
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as AddressInfo;
    try {
      const inUse = await runCliCaptured(['serve', '--session', path, '--port', String(port)]);
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toBe(
        `active-testing serve: --port: expected a port free on 127.0.0.1 (0 picks one), got ${port} (it is in use)`,
      );
    } finally {
      taken.close();
    }
  });

  it('refuses a port in use before creating the session, so no file is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-cli-'));
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
    const data = join(dir, 'pool.tsv');
    writeFileSync(data, `sentence\n${Array.from({ length: 20 }, (_, i) => `item ${i}`).join('\n')}\n`);
    const scores = join(dir, 'scores.npy');
    await writeNpy(scores, pool.modelScores);
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as AddressInfo;
    try {
      for (const args of [
        ['--session', join(dir, 'new.session'), '--data', data, '--classes', 'a,b', '--model-scores', scores],
        ['--demo', '--session', join(dir, 'demo.session')],
      ]) {
        const inUse = await runCliCaptured(['serve', ...args, '--port', String(port)]);
        expect(inUse.code).toBe(1);
        expect(inUse.stderr).toBe(
          `active-testing serve: --port: expected a port free on 127.0.0.1 (0 picks one), got ${port} (it is in use)`,
        );
      }
      expect(readdirSync(dir).sort()).toEqual(['pool.tsv', 'scores.npy']);
    } finally {
      taken.close();
    }
  });

  it('prints a URL a browser can open for a server on every interface', () => {
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
    expect(urlHost('0.0.0.0')).toBe('127.0.0.1');
    expect(urlHost('::')).toBe('[::1]');
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('fe80::1')).toBe('[fe80::1]');
  });

  it('names the network addresses other machines open a server on every interface at', () => {
    const lan = { address: '192.168.1.20', netmask: '255.255.255.0', mac: '02:00:00:00:00:01', internal: false, cidr: null };
    const interfaces = {
      lo: [
        { ...lan, address: '127.0.0.1', internal: true, family: 'IPv4' as const },
        { ...lan, address: '::1', internal: true, family: 'IPv6' as const, scopeid: 0 },
      ],
      eth0: [
        { ...lan, family: 'IPv4' as const },
        { ...lan, address: 'fd00::2', family: 'IPv6' as const, scopeid: 0 },
        { ...lan, address: 'fe80::1', family: 'IPv6' as const, scopeid: 2 },
      ],
    };
    expect(networkHosts('0.0.0.0', interfaces)).toEqual(['192.168.1.20']);
    expect(networkHosts('::', interfaces)).toEqual(['192.168.1.20', '[fd00::2]']);
    expect(networkHosts('127.0.0.1', interfaces)).toEqual([]);
    expect(networkHosts('192.168.1.20', interfaces)).toEqual([]);
  });

  it('holds a request that comes while the session opens and lets the app answer it, as JSON, not a text 503', async () => {
    let start: (app: { fetch(request: Request): Response }) => void = () => {};
    const handle = afterStart(new Promise((resolve) => (start = resolve)));
    let answered = false;
    const answer = handle(new Request('http://127.0.0.1:8080/api/state')).then((response) => {
      answered = true;
      return response;
    });
    // Every callback already due (the request's own chain included) has run: it is still waiting.
    await new Promise((done) => setImmediate(done));
    expect(answered).toBe(false);
    // A page open from before a restart is answered by the app: 401, which it reads as a new token.
    start({ fetch: (request) => Response.json({ error: `401 for ${new URL(request.url).pathname}` }, { status: 401 }) });
    const response = await answer;
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: '401 for /api/state' });

    const failed = await afterStart(Promise.resolve(notStarted(hostCheck('127.0.0.1', 8080))))(
      new Request('http://127.0.0.1:8080/api/state', { headers: { host: '127.0.0.1:8080' } }),
    );
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: "the server could not start (the server's console says why)" });
  });

  it('drops, without acting on it, a request whose client gave up while the session opened', async () => {
    let start: (app: { fetch(request: Request): Response }) => void = () => {};
    const handle = afterStart(new Promise((resolve) => (start = resolve)));
    const client = new AbortController();
    const answer = handle(new Request('http://127.0.0.1:8080/api/label', { method: 'POST', body: '{}', signal: client.signal }));
    const kept = handle(new Request('http://127.0.0.1:8080/api/state'));
    client.abort();
    const acted: string[] = [];
    start({
      fetch: (request) => {
        acted.push(`${request.method} ${new URL(request.url).pathname}`);
        return Response.json({});
      },
    });
    const dropped = await answer;
    expect(dropped.status).toBe(503);
    expect(await dropped.json()).toEqual({ error: 'the request was given up before the server had started: not acted on' });
    expect((await kept).status).toBe(200);
    expect(acted).toEqual(['GET /api/state']);
  });

  it('checks the Host of a request when the server could not start, as the app does (DNS rebinding)', async () => {
    const handler = notStarted(hostCheck('127.0.0.1', 8080));
    const ask = (host?: string) =>
      handler.fetch(new Request('http://127.0.0.1:8080/api/state', { headers: host === undefined ? {} : { host } })) as Response;
    const rebound = ask('attacker.example:8080');
    expect(rebound.status).toBe(403);
    expect(await rebound.text()).toBe(
      '403: this server does not answer to the host "attacker.example:8080" (a guard against DNS rebinding). Open the URL that `active-testing serve` printed, or start it with --allowed-host NAME to use another name.',
    );
    expect(ask().status).toBe(403);
    const failed = ask('localhost:8080');
    expect(failed.status).toBe(503);
    // The app's security headers, on both answers.
    for (const answer of [rebound, failed]) {
      expect(answer.headers.get('X-Content-Type-Options')).toBe('nosniff');
      expect(answer.headers.get('Content-Security-Policy')).toMatch(/^default-src 'none'/);
    }
  });

  it('exits 1 once a failed write stopped the session (its file deleted), having said why once; 0 on a normal stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-serve-cli-'));
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
    const texts = Array.from({ length: 20 }, (_, i) => `item ${i}`);
    const { modelScores, surrogateScores } = pool;
    const served = async (path: string, deleteFirst: boolean) => {
      await (await ActiveTestingSession.create(path, { texts, classes: ['a', 'b'], modelScores, surrogateScores })).close();
      const server = await startServer(['--session', path]);
      const signIn = await fetch(server.url, { redirect: 'manual' });
      expect(signIn.status).toBe(303);
      const cookie = signIn.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; ');
      if (deleteFirst) unlinkSync(path);
      // Asking for an item draws one, which is written to the session file.
      const state = await fetch(`${server.origin}/api/state`, { headers: { cookie, 'X-Tab': 'tab-1' } });
      return { server, status: state.status };
    };
    const failed = await served(join(dir, 'deleted.session'), true);
    expect(failed.status).toBe(503);
    expect(await stopServer(failed.server)).toBe(1);
    const lines = failed.server
      .stderr()
      .split('\n')
      .filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^active-testing serve: the session file could not be written \(.*deleted\.session: the session file was deleted/,
    );
    const normal = await served(join(dir, 'kept.session'), false);
    expect(normal.status).toBe(200);
    expect(await stopServer(normal.server)).toBe(0);
    expect(normal.server.stderr()).toBe('');
  });

  it('is listed with its help', async () => {
    expect((await runCliCaptured(['--help'])).stdout).toMatch(/serve\s+Label a session in the browser/);
    const help = await runCliCaptured(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--host H');
  });
});
