import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomStream } from '../../src/random.js';

/** A labelled text set: `labels[i]` is the class id of `texts[i]`. */
export interface TextSet {
  readonly texts: string[];
  readonly labels: Int32Array;
  readonly classes: number;
}

/** Reads one of ../shared/data's `sentence<TAB>label` files by path (the data is never copied into the repo). */
export function readTsv(path: string, classes: number): TextSet {
  const lines = readFileSync(path, 'utf8').split('\n');
  const texts: string[] = [];
  const labels: number[] = [];
  for (let row = 1; row < lines.length; row++) {
    const line = lines[row];
    if (!line) continue;
    const tab = line.lastIndexOf('\t');
    const label = Number(line.slice(tab + 1));
    if (tab < 0 || !Number.isInteger(label) || label < 0 || label >= classes) {
      throw new Error(`${path}: row ${row} is not "sentence<TAB>label" with a label in [0, ${classes - 1}]`);
    }
    texts.push(line.slice(0, tab));
    labels.push(label);
  }
  return { texts, labels: Int32Array.from(labels), classes };
}

/** The rows of `set` at `indices`, in that order. */
export function subset(set: TextSet, indices: ArrayLike<number>): TextSet {
  const texts: string[] = [];
  const labels = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    texts.push(set.texts[indices[j]]);
    labels[j] = set.labels[indices[j]];
  }
  return { texts, labels, classes: set.classes };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates), so every split is reproducible. */
export function permutation(n: number, seed: string): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const u = randomStream(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Splits a file into a test pool of `poolSize` rows and a disjoint training remainder, by a seeded
 * shuffle. Models are fitted on the remainder only, so the pool is unseen by every model.
 */
export function poolAndTrain(
  dataDir: string,
  file: string,
  classes: number,
  poolSize: number,
  seed: string,
): { pool: TextSet; train: TextSet } {
  const all = readTsv(resolve(dataDir, file), classes);
  const order = permutation(all.texts.length, seed);
  return { pool: subset(all, order.subarray(0, poolSize)), train: subset(all, order.subarray(poolSize)) };
}
