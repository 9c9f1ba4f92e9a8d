import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';

/** The built CLI: the page script is bundled by the build, so these tests run it from dist/. */
export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

/** The Chromium binary to drive: $CHROMIUM_PATH, or Debian's / other distributions' usual paths. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** Launches headless Chromium; with `backForwardCache`, with its back/forward cache, which Playwright turns off. */
export async function launchChromium(executablePath: string, { backForwardCache = false } = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    // Root (CI containers) cannot use Chromium's sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    ignoreDefaultArgs: backForwardCache ? ['--disable-back-forward-cache'] : [],
  });
}

/** A running `active-testing serve`. */
export interface RunningServer {
  child: ChildProcess;
  url: string;
  origin: string;
  token: string;
  stderr: () => string;
  /** What it printed on its standard output so far. */
  stdout: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * Starts `active-testing serve` with `args` on a free port (in the environment `env`) and waits for
 * the URL it prints.
 */
export function startServer(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  // 'close', not 'exit': only then has all the process wrote to stderr been read (a refusal's reason).
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  return new Promise((resolveServer, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Up to the line's end, so that a line read in two chunks never gives half a token.
      const match = /open (http:\/\/[^\s]+\/\?token=([A-Za-z0-9_-]+))\n/.exec(stdout);
      if (match)
        resolveServer({
          child,
          url: match[1],
          origin: new URL(match[1]).origin,
          token: match[2],
          stderr: () => stderr,
          stdout: () => stdout,
          exited,
        });
    });
    child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`serve exited with ${code} before printing its URL: ${stderr}`)));
  });
}

/** Stops a server with SIGTERM (a clean shutdown) and waits for it; a paused one is resumed first. */
export async function stopServer(server: RunningServer): Promise<number | null> {
  if (server.child.exitCode === null) {
    server.child.kill('SIGCONT');
    server.child.kill('SIGTERM');
  }
  return server.exited;
}

/** Servers started one after another behind one address (`restartableServer`). */
export interface RestartableServer {
  /** The server running now, its URL and origin those of the fixed address. */
  current: () => RunningServer;
  /** Kills the server (SIGKILL) and waits for it; until `restart`, connections to the address are reset. */
  kill: () => Promise<void>;
  /** Starts a server with `args` (in `env`) behind the address. */
  restart: (args: string[], env?: NodeJS.ProcessEnv) => Promise<RunningServer>;
  /** Stops the server and closes the address. */
  close: () => Promise<void>;
}

/**
 * Starts `active-testing serve` with `args` behind a fixed address of this process, a port
 * mapping that a page keeps across a restart: each server takes a port of its own (port 0), so
 * that no test binds a port that a server it killed let go, which another process could take
 * first. The servers answer the mapped port as a reverse proxy's (`--allowed-host 127.0.0.1`).
 */
export async function restartableServer(args: string[]): Promise<RestartableServer> {
  let server: RunningServer | null = null;
  let serverPort = 0;
  const sockets = new Set<Socket>();
  const address = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    // No server behind the address: reset, as a connection to a server that is down fails.
    if (server === null) return void client.resetAndDestroy();
    const upstream = connect(serverPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.resetAndDestroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((listening) => address.listen(0, '127.0.0.1', listening));
  const port = (address.address() as AddressInfo).port;
  const behindAddress = (running: RunningServer): RunningServer => {
    const url = new URL(running.url);
    url.port = String(port);
    return { ...running, url: url.href, origin: url.origin };
  };
  const start = async (serverArgs: string[], serverEnv: NodeJS.ProcessEnv = process.env): Promise<RunningServer> => {
    const started = await startServer([...serverArgs, '--allowed-host', '127.0.0.1'], serverEnv);
    serverPort = Number(new URL(started.origin).port);
    server = behindAddress(started);
    return server;
  };
  await start(args);
  return {
    current: () => {
      if (server === null) throw new Error('no server is running behind the address');
      return server;
    },
    kill: async () => {
      if (server === null) return;
      const killed = server;
      server = null;
      killed.child.kill('SIGKILL');
      await killed.exited;
      // Connections made before the kill end with it, as the browser's to a server that is gone do.
      for (const socket of sockets) socket.destroy();
    },
    restart: start,
    close: async () => {
      if (server !== null) await stopServer(server);
      server = null;
      for (const socket of sockets) socket.destroy();
      await new Promise((closed) => address.close(closed));
    },
  };
}

/**
 * Freezes the server's process (SIGSTOP), so that it answers nothing until `resume` is called: a
 * server that does not answer, with no browser-side interception involved. Returns once the kernel
 * shows the process as stopped.
 */
export async function pauseServer(server: RunningServer): Promise<() => void> {
  const pid = server.child.pid;
  if (pid === undefined) throw new Error('the server has no process id');
  server.child.kill('SIGSTOP');
  // The state is the field after the parenthesised command name in /proc/<pid>/stat.
  const state = (): string =>
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .charAt(0);
  while (state() !== 'T') await new Promise((done) => setTimeout(done, 5));
  return () => void server.child.kill('SIGCONT');
}

/** The session journal's records after the header line. */
export function journalRecords(path: string): Array<{ e: string; i: number; y?: number }> {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
  return lines.slice(1).map((line) => JSON.parse(line) as { e: string; i: number; y?: number });
}

/** The item ids of the session file's header. */
export function journalIds(path: string): string[] {
  const header = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]) as { ids: string[] };
  return header.ids;
}

/** Each labelled item's id and class index, as the journal has them (undos applied). */
export function journalLabels(path: string): Map<string, number> {
  const ids = journalIds(path);
  const labels = new Map<string, number>();
  for (const record of journalRecords(path)) {
    if (record.e === 'label') {
      labels.set(ids[record.i], record.y as number);
    } else if (record.e === 'undo') labels.delete(ids[record.i]);
  }
  return labels;
}

/**
 * The contrast ratio of two opaque CSS colours (`rgb(r, g, b)`, as `getComputedStyle` gives them),
 * by WCAG 2.2's relative luminance: 1 for one colour twice, 21 for black on white.
 */
export function contrastRatio(first: string, second: string): number {
  const luminance = (colour: string): number => {
    const channels = colour
      .match(/[\d.]+/g)
      ?.slice(0, 3)
      .map(Number);
    if (channels?.length !== 3) throw new Error(`not an rgb() colour: ${colour}`);
    const [r, g, b] = channels.map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
