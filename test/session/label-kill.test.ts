import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomStream } from '../../src/random.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { CLASSES, CLI, createArgs, writePoolFiles } from './cli-pool.js';

const SIZE = 1000;
const LABELS = 600;
const SEED = 4;
const KILLS = 16;

interface Run {
  acknowledged: Array<[string, string]>;
  code: number | null;
}

/**
 * Runs the command and kills it with SIGKILL `jitterMs` after its `afterLabels`-th acknowledged
 * label (during start-up when 0), or lets it finish when `kill` is null.
 */
function runLabel(args: string[], kill: { afterLabels: number; jitterMs: number } | null): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), kill!.jitterMs));
    if (kill?.afterLabels === 0) arm();
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (kill && (out.match(/^labelled /gm)?.length ?? 0) >= kill.afterLabels) arm();
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const acknowledged = [...out.matchAll(/^labelled (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]] as [string, string]);
      resolve({ acknowledged, code });
    });
  });
}

describe('active-testing label survives SIGKILL', () => {
  it(`keeps every acknowledged label and the proposal sequence across ${KILLS} kills at random points`, async () => {
    const files = await writePoolFiles(SIZE, 21);
    const answers = files.data;
    const session = join(files.dir, 'killed.session');
    const truth = (id: string) => files.pool.labels[files.ids.indexOf(id)];

    const uninterrupted = await ActiveTestingSession.create(null, {
      texts: files.texts,
      ids: files.ids,
      classes: CLASSES,
      modelScores: files.pool.modelScores,
      surrogateScores: files.pool.surrogateScores,
      seed: SEED,
    });
    for (let m = 0; m < LABELS; m++) {
      const [item] = await uninterrupted.next();
      await uninterrupted.record(item.id, truth(item.id));
    }
    const expectedOrder = uninterrupted.history().map((h) => h.id);

    const delays = randomStream(SEED, [7]);
    const args = [...createArgs(files, session, SEED), '--answers', answers, '--max-labels', String(LABELS)];
    const acknowledged = new Map<string, string>();
    let kills = 0;
    for (let attempt = 0; attempt < KILLS; attempt++) {
      const afterLabels = Math.floor(delays() * 10);
      const run = await runLabel(args, {
        afterLabels,
        jitterMs: afterLabels === 0 ? Math.floor(delays() * 800) : Math.floor(delays() * 15),
      });
      for (const [id, label] of run.acknowledged) acknowledged.set(id, label);
      if (run.code === null) kills++;
      const reopened = await ActiveTestingSession.open(session);
      const history = reopened.history();
      for (const [id, label] of acknowledged) expect(history.find((h) => h.id === id)?.label, `acknowledged label of ${id}`).toBe(label);
      expect(history.map((h) => h.id)).toEqual(expectedOrder.slice(0, history.length));
      const labelled = history.filter((h) => h.status === 'labelled').length;
      if (labelled < LABELS) expect((await reopened.next())[0].id).toBe(expectedOrder[labelled]);
      await reopened.close();
    }
    // Far more labels than 16 interrupted runs reach (about 200 here), so that every run is a real
    // kill unless a loaded machine lets one outrun its timer; most must be.
    expect(kills).toBeGreaterThanOrEqual(KILLS / 2);
    const last = await runLabel(args, null);
    expect(last.code).toBe(0);
    expect(existsSync(`${session}.lock`)).toBe(false);
    const finished = await ActiveTestingSession.open(session);
    expect(finished.history()).toEqual(uninterrupted.history());
    expect(finished.estimate()).toEqual(uninterrupted.estimate());
    await finished.close();
  });
});
