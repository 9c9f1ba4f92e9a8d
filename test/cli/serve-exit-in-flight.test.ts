import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { AnnotationCoordinator } from '../../src/serve/coordinator.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

// serve run in this process, its stop signal given by the test rather than sent to the process
// (the test runner's own signal handlers would take it too).
const stops: Array<() => void> = [];
vi.mock('../../src/cli/signals.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/cli/signals.js')>()),
  onStopSignals: (stop: () => void) => {
    stops.push(stop);
    return () => {};
  },
}));

const root = mkdtempSync(join(tmpdir(), 'at-serve-exit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('active-testing serve stopped while a label is in flight', () => {
  it('exits 1 when that label fails to save during the shutdown', async () => {
    const path = join(root, 'in-flight.session');
    const pool = syntheticPool({ poolSize: 20, classCount: 2, seed: 1 });
    const texts = Array.from({ length: 20 }, (_, i) => `item ${i}`);
    const { modelScores, surrogateScores } = pool;
    await (await ActiveTestingSession.create(path, { texts, classes: ['a', 'b'], modelScores, surrogateScores })).close();

    // The label is held on its way to the session until the stop has come.
    let arrived = (): void => {};
    const labelArrived = new Promise<void>((resolve) => (arrived = resolve));
    let go = (): void => {};
    const stopCame = new Promise<void>((resolve) => (go = resolve));
    const label = AnnotationCoordinator.prototype.label;
    vi.spyOn(AnnotationCoordinator.prototype, 'label').mockImplementation(async function (this: AnnotationCoordinator, ...args) {
      arrived();
      await stopCame;
      return label.apply(this, args);
    });
    const printed: string[] = [];
    let listening = (): void => {};
    const started = new Promise<void>((resolve) => (listening = resolve));
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      printed.push(a.join(' '));
      listening();
    });
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    try {
      const code = runCli(['serve', '--session', path, '--port', '0']);
      await started;
      const url = /open (http:\S+)/.exec(printed[0] ?? '')?.[1] as string;
      const origin = new URL(url).origin;
      const signIn = await fetch(url, { redirect: 'manual' });
      const cookie = signIn.headers
        .getSetCookie()
        .map((line) => line.split(';')[0])
        .join('; ');
      const state = (await (await fetch(`${origin}/api/state`, { headers: { cookie, 'X-Tab': 'tab-1' } })).json()) as {
        item: { id: string };
      };
      const answer = fetch(`${origin}/api/label`, {
        method: 'POST',
        headers: { cookie, 'X-Tab': 'tab-1', 'Content-Type': 'application/json', Origin: origin },
        body: JSON.stringify({ id: state.item.id, label: 1 }),
      });
      await labelArrived;
      unlinkSync(path);
      expect(stops).toHaveLength(1);
      stops[0]!();
      go();
      expect((await answer).status).toBe(503);
      expect(await code).toBe(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(
        /^active-testing serve: the session file could not be written \(.*in-flight\.session: the session file was deleted/,
      );
    } finally {
      vi.restoreAllMocks();
    }
  });
});
