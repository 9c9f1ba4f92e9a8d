import { InputError } from '../errors.js';
import { checkOption } from '../options/index.js';
import { checkKnownKeys } from '../io/suggest.js';
import type { Matrix } from '../matrix.js';
import { randomStream, type RandomSource } from '../random.js';
import { refuseBeyondMemory } from './memory.js';

/** Options of `syntheticPool`. */
export interface SyntheticPoolOptions {
  /** Pool size N; default 10,000. */
  poolSize?: number;
  /** Number of classes K; default 2. */
  classCount?: number;
  /** Seed of every random choice; default 0. */
  seed?: number;
}

/** A pool of label logits as an LLM evaluation would produce them, with the true labels. */
export interface SyntheticPool {
  /** Target-model label logits (N×K); values are exact float32 so they survive a float32 `.npy` round trip. */
  modelScores: Matrix;
  /** Surrogate label logits (N×K), a weaker model whose errors correlate with the target's. */
  surrogateScores: Matrix;
  /** True class index of each item. */
  labels: Int32Array;
}

/**
 * Scale of the latent evidence for each class. Labels are drawn from softmax(evidence), so the
 * task has a little irreducible noise (target accuracy ≈ 93% at K = 2, 88% at K = 4).
 */
const EVIDENCE_SCALE = 6;
/** The target sees the evidence with little noise, on a damped logit scale (mildly under-confident). */
const TARGET_NOISE = 0.25;
const TARGET_SHARPNESS = 0.6;
/** The surrogate sees the same evidence with more noise: it ranks the target's likely losses, imperfectly. */
const SURROGATE_NOISE = 0.45;
const SURROGATE_SHARPNESS = 0.55;
/** LLM label logits share a large per-item offset (around 12 ± 4); a few items have offsets of 36–45. */
const OFFSET_MEAN = 12;
const OFFSET_SD = 4;
const LARGE_OFFSET_RATE = 0.01;

function gaussian(random: RandomSource): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

function checkCount(value: number, argument: string, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new InputError({ argument, expected: `an integer ≥ ${minimum}`, received: value });
  }
}

/** Refuses, before allocating, a pool whose two float64 N×K matrices and labels exceed this machine's memory. */
function checkFitsInMemory(size: number, classes: number): void {
  refuseBeyondMemory(
    size * (16 * classes + 4),
    'poolSize',
    size,
    (needed, available) =>
      `a pool that fits in memory: ${size} items × ${classes} classes need about ${needed}, this machine has ${available}`,
  );
}

/**
 * A seeded synthetic pool that behaves like LLM label logits: each item has latent class
 * evidence; its true label is drawn from the softmax of that evidence (so the task has
 * irreducible noise); the target model sees the evidence with little noise and is mildly
 * under-confident; the surrogate sees it with more noise, so its predictions correlate with the
 * target's losses without being perfect. Both models' logits carry a large per-item offset, like
 * real label-token logits. Used by `active-testing simulate --demo` and by the benchmark.
 *
 * @example
 * const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
 * const result = await simulate(pool, { runs: 1000 });
 */
export function syntheticPool(options: SyntheticPoolOptions = {}): SyntheticPool {
  checkKnownKeys(options, ['poolSize', 'classCount', 'seed'] satisfies (keyof SyntheticPoolOptions)[], null);
  const { poolSize: size = 10_000, classCount: classes = 2 } = options;
  checkCount(size, 'poolSize', 1);
  checkCount(classes, 'classCount', 2);
  checkFitsInMemory(size, classes);
  // As simulate's seed: NaN, 1.5 or -1 would otherwise seed a stream as the text "NaN", "1.5", "-1".
  const seed = (checkOption('seed', options.seed, 'simulate') as number | undefined) ?? 0;
  const normal = gaussian(randomStream(seed, [0]));
  const uniform = randomStream(seed, [1]);
  const model = new Float64Array(size * classes);
  const surrogate = new Float64Array(size * classes);
  const labels = new Int32Array(size);
  const evidence = new Float64Array(classes);
  const offset = (): number => (uniform() < LARGE_OFFSET_RATE ? 36 + 9 * uniform() : OFFSET_MEAN + OFFSET_SD * normal());
  for (let i = 0; i < size; i++) {
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      evidence[k] = EVIDENCE_SCALE * normal();
      max = Math.max(max, evidence[k]!);
    }
    let total = 0;
    for (let k = 0; k < classes; k++) total += Math.exp(evidence[k]! - max);
    let u = uniform() * total;
    let label = classes - 1;
    for (let k = 0; k < classes; k++) {
      u -= Math.exp(evidence[k]! - max);
      if (u < 0) {
        label = k;
        break;
      }
    }
    labels[i] = label;
    const modelOffset = offset();
    const surrogateOffset = offset();
    for (let k = 0; k < classes; k++) {
      model[i * classes + k] = Math.fround(modelOffset + TARGET_SHARPNESS * (evidence[k]! + TARGET_NOISE * normal()));
      surrogate[i * classes + k] = Math.fround(surrogateOffset + SURROGATE_SHARPNESS * (evidence[k]! + SURROGATE_NOISE * normal()));
    }
  }
  return {
    modelScores: { data: model, rows: size, cols: classes },
    surrogateScores: { data: surrogate, rows: size, cols: classes },
    labels,
  };
}
