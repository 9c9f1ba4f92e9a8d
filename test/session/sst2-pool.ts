import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Matrix } from '../../src/matrix.js';
import { randomStream } from '../../src/random.js';
import { readTable } from '../../src/dataset/read-table.js';
import { DATA_DIR } from '../helpers/shared.js';

export const SST2_TRAIN = join(DATA_DIR, 'sst2/train.tsv');

/** An SST-2 pool with a target's and a surrogate's logits and the true labels. */
export interface ScoredPool {
  texts: string[];
  labels: Int32Array;
  modelScores: Matrix;
  surrogateScores: Matrix;
}

const require = createRequire(import.meta.url);

/**
 * Stand-ins for the LLM target and surrogate on real SST-2 text, cheap enough for Monte Carlo:
 * - the target is "zero-shot": the AFINN-165 lexicon score (npm `sentiment`) as the logit of
 *   `positive`, 0.45 per valence point (no labels used);
 * - the surrogate is "in-context": a logistic regression on (AFINN score, VADER compound) fitted to
 *   `shots` labelled examples drawn from rows outside the pool, as an ICL prompt uses a few labelled examples.
 * The pool is the first `size` rows of the training split (the paper draws 10,000 items from it).
 */
export async function sst2LexiconPool(size: number, shots = 50, seed = 0): Promise<ScoredPool> {
  const table = await readTable(SST2_TRAIN);
  const [textColumn, labelColumn] = ['sentence', 'label'].map((name) => table.columns.indexOf(name));
  const Sentiment = require('sentiment');
  const vader = require('vader-sentiment');
  const afinn = new Sentiment();
  const features = (text: string): [number, number, number] => [
    1,
    afinn.analyze(text).score,
    vader.SentimentIntensityAnalyzer.polarity_scores(text).compound,
  ];

  const random = randomStream(seed, [0]);
  const shotRows = Array.from({ length: shots }, () => size + Math.floor(random() * (table.rows.length - size)));
  const weights = fitLogistic(
    shotRows.map((r) => features(String(table.rows[r][textColumn]))),
    shotRows.map((r) => Number(table.rows[r][labelColumn])),
  );
  const texts: string[] = [];
  const labels = new Int32Array(size);
  const target = new Float64Array(2 * size);
  const surrogate = new Float64Array(2 * size);
  for (let i = 0; i < size; i++) {
    const text = String(table.rows[i][textColumn]);
    texts.push(text);
    labels[i] = Number(table.rows[i][labelColumn]);
    const x = features(text);
    target[2 * i + 1] = 0.45 * x[1];
    surrogate[2 * i + 1] = weights[0] * x[0] + weights[1] * x[1] + weights[2] * x[2];
  }
  return { texts, labels, modelScores: { data: target, rows: size, cols: 2 }, surrogateScores: { data: surrogate, rows: size, cols: 2 } };
}

/** Binary logistic regression by Newton's method with a small ridge penalty (3 features). */
function fitLogistic(x: Array<[number, number, number]>, y: number[], ridge = 0.1): [number, number, number] {
  const w: [number, number, number] = [0, 0, 0];
  for (let iteration = 0; iteration < 30; iteration++) {
    const gradient = [ridge * w[0], ridge * w[1], ridge * w[2]];
    const hessian = [
      [ridge, 0, 0],
      [0, ridge, 0],
      [0, 0, ridge],
    ];
    x.forEach((xi, n) => {
      const p = 1 / (1 + Math.exp(-(w[0] * xi[0] + w[1] * xi[1] + w[2] * xi[2])));
      for (let a = 0; a < 3; a++) {
        gradient[a] += (p - y[n]) * xi[a];
        for (let b = 0; b < 3; b++) hessian[a][b] += p * (1 - p) * xi[a] * xi[b];
      }
    });
    const step = solve3(hessian, gradient);
    for (let a = 0; a < 3; a++) w[a] -= step[a];
  }
  return w;
}

function solve3(a: number[][], b: number[]): number[] {
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < 3; c++) {
    const pivot = m[c][c];
    for (let j = c; j < 4; j++) m[c][j] /= pivot;
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const factor = m[r][c];
      for (let j = c; j < 4; j++) m[r][j] -= factor * m[c][j];
    }
  }
  return m.map((row) => row[3]);
}
