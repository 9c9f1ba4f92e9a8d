import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { decimals } from '../../src/serve/estimate-display.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';
import { runCliCaptured } from '../helpers/cli.js';
import { interactiveStdin } from '../helpers/interactive.js';

const N = 60;
const pool = syntheticPool({ poolSize: N, classCount: 2, seed: 3 });

/**
 * A session with two labels whose LURE estimate lies outside the quantities' ranges: the first
 * item proposed, labelled so that the target is wrong on it, was drawn with q < 1/N, so its error
 * weighs 1/(N·q) > 1 (the zero-one risk 3.52, the accuracy -2.52).
 */
async function twoLabelSession(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'at-status-')), 'status.session');
  const texts = Array.from({ length: N }, (_, i) => `item ${i}`);
  const session = await ActiveTestingSession.create(path, {
    texts,
    classes: ['a', 'b'],
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    loss: 'zero-one',
    seed: 7,
  });
  for (const targetWrong of [true, false]) {
    const [item] = await session.next();
    const i = Number(item!.id);
    const predicted = pool.modelScores.data[2 * i + 1]! > pool.modelScores.data[2 * i]! ? 1 : 0;
    await session.record(item!.id, targetWrong ? 1 - predicted : predicted);
  }
  await session.close();
  return path;
}

describe('label: the running estimate on the interactive screen', () => {
  const { stdin } = process;
  const pretendInteractive = interactiveStdin();

  it('shows estimates in their range as the page does, with the estimate itself beside, and the intervals’ ends', async () => {
    const path = await twoLabelSession();
    const reopened = await ActiveTestingSession.open(path);
    const { accuracy, risk, equivalentRandomLabels } = reopened.estimate();
    await reopened.close();
    expect(accuracy.value).toBeLessThan(-2);
    expect(risk.value).toBeGreaterThan(3);
    // The labels estimate no spread of the loss: random labelling matches no number of labels.
    expect(equivalentRandomLabels).toBeNaN();

    pretendInteractive();
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      if (out.includes('[q] quit')) setImmediate(() => stdin.emit('data', Buffer.from('q')));
      return true;
    });
    const run = await runCliCaptured(['label', '--session', path]);
    expect(run.code).toBe(0);
    const line = out.split('\n').find((shown) => shown.startsWith('2 labels · '));
    // The anytime-valid sequences' ends (not the estimate ± a half-width: neither is centred on it).
    expect(line).toBe(
      `2 labels · accuracy 0.0000 (est. ${decimals(accuracy.value)}) anytime 95% [${decimals(accuracy.anytime!.lower)}, ${decimals(accuracy.anytime!.upper)}]` +
        ` · risk 1.0000 (est. ${decimals(risk.value)}) anytime 95% [${decimals(risk.anytime!.lower)}, ${decimals(risk.anytime!.upper)}]`,
    );
    // The closing summary shows them the same way, every interval cut to the range.
    const cut = (x: number) => decimals(Math.min(1, Math.max(0, x)));
    const ends = (i: { lower: number; upper: number }) => `[${cut(i.lower)}, ${cut(i.upper)}]`;
    expect(run.stdout).toContain(
      `Accuracy: 0.0000 (est. ${decimals(accuracy.value)})  anytime-valid 95% ${ends(accuracy.anytime!)}` +
        `  fixed-budget 95% ${ends(accuracy.fixed!)}  bootstrap (approximate) 95% interval ${ends(accuracy.bootstrap)}`,
    );
    expect(run.stdout).toContain(`Risk (zero-one): 1.0000 (est. ${decimals(risk.value)})  anytime-valid 95% ${ends(risk.anytime!)}`);
    // The closing summary never says "about 0 labels".
    expect(run.stdout).toContain("Random labels for the same variance (the approximate bootstrap's): – (not estimable from these labels).");
    expect(run.stdout).not.toMatch(/about 0 labels/);
  });
});
