import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, journalLabels, startServer } from '../browser/serve-helpers.js';
import { signalSelf } from '../helpers/signal-self.js';

const root = mkdtempSync(join(tmpdir(), 'at-serve-shutdown-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('active-testing serve stopped by a signal', () => {
  it('answers a label it is saving and ends the event streams before it exits 0 and releases the lock', async () => {
    const path = join(root, 'demo.session');
    // Each write's answer is held, its label saved, until the server has begun to stop and 200 ms
    // more: the answer below can only be sent during the shutdown, after a shutdown that cut the
    // connections at once would have cut it, however loaded the machine is.
    const server = await startServer(['--demo', '--session', path], {
      ...process.env,
      ACTIVE_TESTING_FAULT_DELAY_MS: 'serve:answer=200',
    });
    try {
      const visit = await fetch(server.url, { redirect: 'manual' });
      const cookie = visit.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const state = (await (await fetch(`${server.origin}/api/state`, { headers: { cookie } })).json()) as { item: { id: string } };
      const events = await fetch(`${server.origin}/api/events`, { headers: { cookie } });
      const stream = events.body!.getReader();
      expect(new TextDecoder().decode((await stream.read()).value)).toMatch(/^event: state\n/);

      const answer = fetch(`${server.origin}/api/label`, {
        method: 'POST',
        headers: { cookie, 'Content-Type': 'application/json', Origin: server.origin },
        body: JSON.stringify({ id: state.item.id, label: 1 }),
      });
      while (!journalLabels(path).has(state.item.id)) await new Promise((done) => setTimeout(done, 5));
      server.child.kill('SIGTERM');

      const response = await answer;
      expect(response.status).toBe(200);
      const view = (await response.json()) as { state: { labels: number }; item: { id: string } };
      expect(view.state.labels).toBe(1);
      expect(view.item.id).not.toBe(state.item.id);
      // The event stream ends as a stream does, not cut off mid-way.
      while (!(await stream.read()).done);

      expect(await server.exited, server.stderr()).toBe(0);
      expect(journalLabels(path).get(state.item.id)).toBe(1);
      expect(existsSync(`${path}.lock`)).toBe(false);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('stopped while it opens the session, waits for the open, then closes the session: exit 0, the lock released', async () => {
    const path = join(root, 'opening.session');
    // It signals itself as soon as it holds the session's lock, the demo session not yet created.
    // Whether the signal is handled before the open ends (the session closed unserved) or just
    // after (served, then stopped) depends on the order of the event loop's events.
    const self = signalSelf('linkSync', /^opening\.session\.lock$/, 'SIGTERM');
    const child = spawn(process.execPath, [...self.nodeArgs, CLI, 'serve', '--demo', '--session', path, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...self.env },
    });
    let printed = '';
    child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    try {
      expect(await exited, printed).toBe(0);
      expect(printed).toMatch(/^(|Labelling .+\nStop with Ctrl-C \(every label is already saved\)\.\n)$/);
      expect(existsSync(path)).toBe(true);
      expect(existsSync(`${path}.lock`)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  // The second signal comes once the session is closed, with the process held before the command's
  // exit code is set (its own handlers gone), then after (the process draining, as a slow exit
  // would): neither ends it as killed by the signal.
  // The drain is held for a minute: only the signal can end it in the test's time.
  for (const held of ['cli:returned=1500', 'cli:done=60000']) {
    it(`ends with its exit code 0, not killed, when a second signal comes at ${held}`, async () => {
      const path = join(root, `late-${held.split('=')[0]!.replace(':', '-')}.session`);
      const server = await startServer(['--demo', '--session', path], { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: held });
      try {
        server.child.kill('SIGTERM');
        while (existsSync(`${path}.lock`)) await new Promise((done) => setTimeout(done, 5));
        server.child.kill('SIGTERM');
        expect(await server.exited, server.stderr()).toBe(0);
      } finally {
        server.child.kill('SIGKILL');
      }
    });
  }
});
