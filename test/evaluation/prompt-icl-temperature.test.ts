import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync, appendFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  REFERENCE_TEMPLATE,
  ScoreCheckpoint,
  fillTemplate,
  itemPrompt,
  promptPrefix,
  selectIclExamples,
  shotsPerClass,
} from '../../src/evaluation/index.js';
import { solveTemperature } from '../../src/calibration/index.js';

const SST2 = 'Classify the sentiment of the following sentence as "positive" or "negative". Respond with "positive" or "negative".\n';

describe('prompts', () => {
  it('reproduce the reference ICL prompt character for character (SPEC.md §2.5)', () => {
    const prefix = promptPrefix(
      SST2,
      [
        { text: 'great', label: 'positive' },
        { text: 'awful', label: 'negative' },
      ],
      'Label',
    );
    expect(itemPrompt(prefix, 'a fine film', 'Label')).toBe(
      `${SST2}Sentence: 'great' \nLabel: positive\n\nSentence: 'awful' \nLabel: negative\n\nSentence: 'a fine film' \nLabel:`,
    );
    expect(itemPrompt('', 'x', 'Answer')).toBe("Sentence: 'x' \nAnswer:");
  });

  it('fill placeholders once, leaving braces in the text alone', () => {
    expect(fillTemplate(REFERENCE_TEMPLATE.query, { text: 'a {label} b {text}', answer: 'Label' })).toBe(
      "Sentence: 'a {label} b {text}' \nLabel:",
    );
    expect(fillTemplate('Q: {text} -> {answer}', { text: 't', answer: 'A' })).toBe('Q: t -> A');
    expect(() => fillTemplate('{label}', { text: 't', answer: 'A' })).toThrow(/placeholder/);
  });
});

describe('ICL example selection', () => {
  it('rounds shots per class by largest remainder', () => {
    expect(shotsPerClass([70, 30], 5)).toEqual([4, 1]);
    expect(shotsPerClass([50, 30, 20], 7)).toEqual([4, 2, 1]);
    expect(shotsPerClass([1, 1, 1], 2)).toEqual([1, 1, 0]);
    expect(shotsPerClass([10, 0], 3)).toEqual([3, 0]);
    expect(() => shotsPerClass([2, 2], 5)).toThrow(/^iclExamples: expected an integer in \[0, 4\]/);
  });

  it('draws distinct rows per class, shuffled, reproducibly', () => {
    const labels = Int32Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const shots = selectIclExamples(labels, 2, 50, 3);
    expect(new Set(shots).size).toBe(50);
    expect(Array.from(shots).filter((r) => labels[r] === 1).length).toBe(12); // quotas 37.5 and 12.5 tie on the remainder: class 0 gets it
    expect(selectIclExamples(labels, 2, 50, 3)).toEqual(shots);
    expect(Array.from(selectIclExamples(labels, 2, 50, 4))).not.toEqual(Array.from(shots));
    const sorted = Array.from(shots).sort((a, b) => a - b);
    expect(Array.from(shots)).not.toEqual(sorted);
  });

  it('takes a class count far above the labels at the cost of the labels, with the same shots', () => {
    const labels = Int32Array.from({ length: 30 }, (_, i) => i % 3);
    const shots = Array.from(selectIclExamples(labels, 3, 7, 5));
    expect(Array.from(selectIclExamples(labels, 1e12, 7, 5))).toEqual(shots);
    expect(Array.from(selectIclExamples(labels, 2, 4, 5)).every((row) => labels[row] !== 2)).toBe(true);
  });
});

describe('solveTemperature', () => {
  const nll = (scores: number[], labels: number[], k: number, t: number) => {
    let total = 0;
    labels.forEach((y, i) => {
      const row = scores.slice(i * k, i * k + k).map((z) => z / t);
      const max = Math.max(...row);
      total += max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0)) - (row[y] as number);
    });
    return total / labels.length;
  };

  it('finds the NLL minimum to machine precision (checked against a dense scan)', () => {
    const s3 = [2, 0, 0, 0, 2, 0, 2, 0, 0, 1.5, -1, 0.3, 0.1, -0.4, 3, 4, 1, 0];
    const labels = [0, 1, 1, 0, 2, 0];
    const k = 3;
    const fit = solveTemperature(Float64Array.from(s3), Int32Array.from(labels), k);
    let best = Infinity;
    let bestT = NaN;
    for (let t = 0.05; t < 20; t += 0.0005) {
      const v = nll(s3, labels, k, t);
      if (v < best) [best, bestT] = [v, t];
    }
    expect(fit.temperature).toBeCloseTo(bestT, 3);
    expect(fit.loss).toBeLessThanOrEqual(best + 1e-12);
    expect(fit.loss).toBeCloseTo(nll(s3, labels, k, fit.temperature), 12);
    expect(fit.lossAtOne).toBeCloseTo(nll(s3, labels, k, 1), 12);
    const eps = 1e-4;
    expect(nll(s3, labels, k, fit.temperature * (1 + eps))).toBeGreaterThan(fit.loss);
    expect(nll(s3, labels, k, fit.temperature * (1 - eps))).toBeGreaterThan(fit.loss);
  });

  it('handles separable and hopeless scores', () => {
    expect(solveTemperature(Float32Array.of(3, 0, 0, 3), Int32Array.of(0, 1), 2)).toMatchObject({ separable: true });
    expect(solveTemperature(Float32Array.of(3, 0, 0, 3), Int32Array.of(1, 0), 2).temperature).toBe(Infinity);
  });
});

describe('ScoreCheckpoint', () => {
  it('resumes an identical run from its complete rows and restarts any other', async () => {
    const base = join(mkdtempSync(join(tmpdir(), 'at-ckpt-')), 'run');
    const first = await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8]);
    await first.append(Float32Array.of(1, 2, 3, 4), Uint8Array.of(0, 1, 0, 0));
    appendFileSync(`${base}.partial.f32`, Buffer.from([1, 2, 3])); // a torn write
    const resumed = await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8]);
    expect(resumed.done).toBe(2);
    expect(Array.from(resumed.rows)).toEqual([1, 2, 3, 4]);
    expect(Array.from(resumed.floored)).toEqual([0, 1, 0, 0]);
    expect(statSync(`${base}.partial.f32`).size).toBe(16);
    const other = await ScoreCheckpoint.open(base, { a: 2 }, 3, [7, 8]);
    expect(other.done).toBe(0);
    // Nothing scored yet: nothing to resume or to lose, so no unfinished run stands in the way.
    expect(await ScoreCheckpoint.pendingConfig(base)).toBeNull();
    await other.append(Float32Array.of(5, 6), Uint8Array.of(0, 0));
    expect(await ScoreCheckpoint.pendingConfig(base)).toEqual({ a: 2 });
  });

  it('refuses to resume rows scored with other label token ids, unless told to discard them', async () => {
    const base = join(mkdtempSync(join(tmpdir(), 'at-ckpt-')), 'run');
    await (await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8])).append(Float32Array.of(1, 2), Uint8Array.of(0, 0));
    await expect(ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 9])).rejects.toThrow(
      /run\.partial\.tokens\.json already exists; the unfinished run there scored label tokens \[7,8\], where the model now gives \[7,9\] for the same classes/,
    );
    expect(statSync(`${base}.partial.f32`).size).toBe(8);
    expect((await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 9], true)).done).toBe(0);
    // A checkpoint written before the ids were kept is resumed, and keeps them from then on.
    await (await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 9])).append(Float32Array.of(1, 2), Uint8Array.of(0, 0));
    rmSync(`${base}.partial.tokens.json`);
    expect((await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 9])).done).toBe(1);
    await expect(ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8])).rejects.toThrow(/scored label tokens \[7,9\]/);
  });

  it('keeps only the rows whose floored marks reached the disk', async () => {
    const base = join(mkdtempSync(join(tmpdir(), 'at-ckpt-')), 'run');
    const first = await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8]);
    await first.append(Float32Array.of(1, 2), Uint8Array.of(1, 0));
    // A kill after the next batch's marks were written but before its rows: the marks are cut back.
    appendFileSync(`${base}.partial.floored`, Buffer.from([0, 1]));
    let resumed = await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8]);
    expect([resumed.done, Array.from(resumed.floored)]).toEqual([1, [1, 0]]);
    expect(statSync(`${base}.partial.floored`).size).toBe(2);
    // Rows whose marks are missing (the file cut short by hand) are scored again.
    await resumed.append(Float32Array.of(3, 4), Uint8Array.of(0, 1));
    truncateSync(`${base}.partial.floored`, 3);
    resumed = await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8]);
    expect([resumed.done, Array.from(resumed.rows), Array.from(resumed.floored)]).toEqual([1, [1, 2], [1, 0]]);
    // A checkpoint written before the marks were kept: none of its scores was floored.
    rmSync(`${base}.partial.floored`);
    resumed = await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8]);
    expect([resumed.done, Array.from(resumed.floored)]).toEqual([1, [0, 0]]);
    await resumed.append(Float32Array.of(3, 4), Uint8Array.of(0, 1));
    expect(Array.from((await ScoreCheckpoint.open(base, { a: 1 }, 3, [7, 8])).floored)).toEqual([0, 0, 0, 1]);
  });
});
