import { existsSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindAddress, hostCheck } from '../../src/cli/serve.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { CLI, startServer, stopServer, type RunningServer } from '../browser/serve-helpers.js';
import { runCliCaptured } from '../helpers/cli.js';

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the serve tests`);

/** A session file on a small synthetic pool. */
async function sessionFile(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'at-serve-hosts-')), 'pool.session');
  const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
  const texts = Array.from({ length: 20 }, (_, i) => `item ${i}`);
  const { modelScores, surrogateScores } = pool;
  await (await ActiveTestingSession.create(path, { texts, classes: ['a', 'b'], modelScores, surrogateScores })).close();
  return path;
}

/**
 * Opens the printed URL over loopback as a raw HTTP request whose `Host` header is `host` (none
 * when undefined), as a page served under another name would after DNS rebinding.
 */
function openAs(server: RunningServer, host: string | undefined): Promise<{ status: number; body: string; cookies: string[] }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: host === undefined ? {} : { host },
        setHost: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, cookies: response.headers['set-cookie'] ?? [] }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** This machine's interface addresses as a `Host` header names them, with `port`. */
function interfaceHosts(port: string): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((info) => (info === undefined ? [] : [info.family === 'IPv6' ? `[${info.address}]:${port}` : `${info.address}:${port}`]));
}

describe('which Host headers active-testing serve answers', () => {
  it('answers loopback names and the bound address at its port, allowed names at any port, in any case', () => {
    const loopback = hostCheck('127.0.0.1', 8080);
    for (const host of ['127.0.0.1:8080', 'localhost:8080', 'LocalHost:8080', '[::1]:8080']) expect(loopback(host), host).toBe(true);
    for (const host of ['evil.example:8080', 'localhost:8081', 'localhost', '127.0.0.1', 'localhost:8080.evil.example', ''])
      expect(loopback(host), host).toBe(false);
    const bound = hostCheck('192.0.2.7', 8080, ['Labels.Example.org', 'fe80::1']);
    for (const host of ['192.0.2.7:8080', 'labels.example.org', 'labels.example.org:443', '[FE80::1]:9000', 'localhost:8080'])
      expect(bound(host), host).toBe(true);
    for (const host of ['192.0.2.7:80', '192.0.2.7', 'example.org:8080', 'evil.labels.example.org:8080', '[fe80::2]:8080'])
      expect(bound(host), host).toBe(false);
    expect(hostCheck('fe80::1', 8080)('[fe80::1]:8080')).toBe(true);
    expect(hostCheck('0.0.0.0', 8080)('0.0.0.0:8080')).toBe(false);
    // On port 80 a browser leaves the port out.
    expect(hostCheck('127.0.0.1', 80)('localhost')).toBe(true);
  });

  it('checks --allowed-host before serving: names or addresses, no port', async () => {
    const help = await runCliCaptured(['serve', '--help']);
    expect(help.stdout).toContain('--allowed-host NAME,...');
    const path = join(mkdtempSync(join(tmpdir(), 'at-serve-hosts-')), 'none.session');
    for (const value of ['labels.example.org:443', 'http://labels.example.org', 'a,,b', 'a b']) {
      const run = await runCliCaptured(['serve', '--session', path, '--allowed-host', value]);
      expect(run.code, value).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(
        `active-testing serve: --allowed-host: expected host names or addresses without a port, comma-separated, got ${JSON.stringify(value)}`,
      );
    }
  });

  describe('a server on every interface (--host 0.0.0.0), over raw HTTP', () => {
    let server: RunningServer;
    let port: string;
    beforeAll(async () => {
      server = await startServer(['--session', await sessionFile(), '--host', '0.0.0.0', '--allowed-host', 'labels.example.org']);
      port = new URL(server.url).port;
    });
    afterAll(async () => {
      if (server) expect(await stopServer(server)).toBe(0);
    });

    it('refuses a request naming another host, with 403 and the reason, and sets no cookie', async () => {
      for (const host of [`attacker.example:${port}`, `localhost:${Number(port) + 1}`, `labels.example.org.attacker.example:${port}`]) {
        const refused = await openAs(server, host);
        expect(refused.status, host).toBe(403);
        expect(refused.body).toBe(
          `403: this server does not answer to the host ${JSON.stringify(host)} (a guard against DNS rebinding). Open the URL that \`active-testing serve\` printed, or start it with --allowed-host NAME to use another name.`,
        );
        expect(refused.cookies).toEqual([]);
      }
      // Node's HTTP server refuses an HTTP/1.1 request without a Host header before the app sees it.
      expect((await openAs(server, undefined)).status).toBe(400);
    });

    it('answers loopback names, every address of this machine and the allowed name', async () => {
      const hosts = [
        `localhost:${port}`,
        `127.0.0.1:${port}`,
        `[::1]:${port}`,
        ...interfaceHosts(port),
        'labels.example.org',
        `labels.example.org:443`,
      ];
      for (const host of hosts) {
        const opened = await openAs(server, host);
        expect(opened.status, host).toBe(303);
        expect(opened.cookies).toHaveLength(2);
      }
    });

    // The loopback URL opens on this machine only: the people labelling at other machines need one
    // of its network addresses.
    it('prints a URL for each address other machines reach it at, each of which it answers', async () => {
      const addresses = Object.values(networkInterfaces())
        .flat()
        .flatMap((info) => (info === undefined || info.internal || info.family !== 'IPv4' ? [] : [info.address]));
      const lines = server.stdout().trimEnd().split('\n');
      expect(lines[0]).toBe(`Labelling ${lines[0]!.split(' ')[1]} open ${server.url}`);
      const others = addresses.map((address) => `  http://${address}:${port}/?token=${server.token}`);
      expect(lines.slice(1)).toEqual([
        ...(others.length === 0 ? [] : ['From another machine (the people labelling there), open:', ...others]),
        'Stop with Ctrl-C (every label is already saved).',
      ]);
      for (const address of addresses) expect((await openAs(server, `${address}:${port}`)).status, address).toBe(303);
    });
  });

  it('takes --host as the printed URL writes an IPv6 address, in brackets', async () => {
    expect(bindAddress('[::1]')).toBe('::1');
    expect(bindAddress('::1')).toBe('::1');
    expect(bindAddress('[no-such-host]')).toBe('[no-such-host]');
    const server = await startServer(['--session', await sessionFile(), '--host', '[::1]']);
    try {
      expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+\/\?token=/);
      const url = new URL(server.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '::1', port: url.port, path: `${url.pathname}${url.search}` }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(303);
    } finally {
      expect(await stopServer(server)).toBe(0);
    }
  });

  it('answers a server bound to one address under that address', async () => {
    // Any 127.x.y.z is this machine's loopback on Linux; 127.0.0.2 is not one of the loopback names.
    const server = await startServer(['--session', await sessionFile(), '--host', '127.0.0.2']);
    try {
      const port = new URL(server.url).port;
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.2:/);
      const reply = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const url = new URL(server.url);
          const req = request(
            { host: '127.0.0.2', port, path: `${url.pathname}${url.search}`, headers: { host }, setHost: false },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(await reply(`127.0.0.2:${port}`)).toBe(303);
      expect(await reply(`attacker.example:${port}`)).toBe(403);
    } finally {
      expect(await stopServer(server)).toBe(0);
    }
  });
});
