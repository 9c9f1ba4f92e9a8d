import type { Matrix } from '../../src/matrix.js';
import { BUILTIN_LOSSES, lossBounds, stableSoftmax, type BuiltinLoss } from '../../src/metrics/index.js';
import { randomStream, type RandomSource } from '../../src/random.js';
import { RiskConfidenceSequence } from '../../src/estimators/confidence-sequence.js';
import { LUREEstimator } from '../../src/estimators/lure.js';

/** The hard pool kinds the coverage tests run on. */
export type PoolKind = 'ordinary' | 'rare-known' | 'rare-unknown' | 'overconfident' | 'anti-correlated' | 'heavy-tailed' | 'k10' | 'k100';

export interface CsPool {
  n: number;
  losses: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** The surrogate's expected loss of each item: the acquisition value. */
  values: Float64Array;
  risk: number;
}

function gaussian(u: RandomSource): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/**
 * A seeded pool of one kind: target logits, labels, a surrogate, and the loss's per-item values and bounds.
 * Rare kinds: 1% of items are confidently wrong; the surrogate either knows them or not.
 */
export function csPool(kind: PoolKind, n: number, loss: BuiltinLoss, seed: number): CsPool {
  const u = randomStream(seed, []);
  const k = kind === 'k10' ? 10 : kind === 'k100' ? 100 : 3;
  const f = new Float64Array(n * k);
  const g = new Float64Array(n * k);
  const labels = new Int32Array(n);
  const rareCount = Math.max(1, Math.round(n / 100));
  for (let i = 0; i < n; i++) {
    const rare = i < rareCount;
    const label = Math.floor(u() * k);
    labels[i] = label;
    const wrong = (label + 1 + Math.floor(u() * (k - 1))) % k;
    for (let j = 0; j < k; j++) {
      let logit = gaussian(u);
      if (kind === 'rare-known' || kind === 'rare-unknown') {
        logit = j === (rare ? wrong : label) ? 8 + gaussian(u) : gaussian(u) * 0.5;
      } else if (kind === 'heavy-tailed') {
        // Mostly right, with a heavy tail of confident mistakes of every size.
        const tail = u() < 0.05 ? 3 / Math.max(1e-3, u()) : 0;
        logit = j === label ? 3 + gaussian(u) : j === wrong ? Math.min(tail, 40) + gaussian(u) : gaussian(u);
      } else {
        logit = gaussian(u) + (j === label ? 2 : 0);
      }
      f[i * k + j] = logit;
      let s = logit + 0.8 * gaussian(u);
      if (kind === 'rare-known') s = j === label ? (rare ? 0 : 6) : rare ? 3 : 0;
      if (kind === 'rare-unknown') s = f[i * k + j];
      if (kind === 'overconfident') s *= 10;
      if (kind === 'anti-correlated') s = j === label ? -s : s;
      g[i * k + j] = s;
    }
  }
  // Shuffle so the rare items are not first.
  const order = new Int32Array(n).map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const fs = new Float64Array(n * k);
  const gs = new Float64Array(n * k);
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    fs.set(f.subarray(order[i] * k, order[i] * k + k), i * k);
    gs.set(g.subarray(order[i] * k, order[i] * k + k), i * k);
    ys[i] = labels[order[i]];
  }
  const scores: Matrix = { data: fs, rows: n, cols: k };
  const surrogate = stableSoftmax({ data: gs, rows: n, cols: k });
  const functions = BUILTIN_LOSSES[loss];
  const losses = functions.perItem(scores, ys);
  const values = functions.expected(scores, surrogate);
  const { lower, upper } = lossBounds(scores, loss);
  let total = 0;
  for (let i = 0; i < n; i++) total += losses[i];
  return { n, losses, lower, upper, values, risk: total / n };
}

export type Acquisition = 'iid' | 'surrogate' | 'adaptive' | 'defensive';

export interface RunRecord {
  /** Anytime lower/upper at each requested label count. */
  anytime: Array<{ lower: number; upper: number }>;
  /** Whether the sequence held the pool risk at every label count of the run. */
  anytimeAlwaysCovered: boolean;
  fixed: Array<{ lower: number; upper: number }>;
  bootstrapHalfWidth: number[];
}

/** The adaptive acquisition's powers of the surrogate's values: sharpened or flattened (`runOnce`). */
const ADAPTIVE_POWERS = [0.5, 1.5] as const;

/**
 * The first draw's probabilities of a proposal share/N + (1 − share)·w_i^power/Σ_all w^power: a
 * floor of every later draw with the same power (Σ over the remaining items only shrinks).
 */
function powerFloor(pool: CsPool, share: number, power: number): Float64Array {
  const n = pool.n;
  const weights = Float64Array.from(pool.values, (v) => Math.pow(Math.max(v, 1e-300), power));
  const total = weights.reduce((s, w) => s + w, 0);
  // All weights 0 (underflow): the proposal is uniform over the remaining items.
  return Float64Array.from(weights, (w) => (total > 0 ? share / n + ((1 - share) * w) / total : 1 / n));
}

/**
 * The surrogate's expected loss as the predicted loss, and a floor every draw of `runOnce` keeps:
 * the uniform share alone, floor/remaining ≥ floor/N, plus for a fixed proposal its weight share,
 * (1 − floor)·w_i/Σ_remaining w ≥ (1 − floor)·w_i/Σ_all w, and for the adaptive one the smaller of
 * that bound under its two powers.
 */
export function poolReference(pool: CsPool, acquisition: Acquisition, clip = 1e-3) {
  const share = acquisition === 'defensive' ? 0.5 : acquisition === 'iid' ? 1 : clip;
  if (acquisition !== 'adaptive') return { predictedLoss: pool.values, proposalFloor: powerFloor(pool, share, 1) };
  const [flat, sharp] = ADAPTIVE_POWERS.map((power) => powerFloor(pool, share, power));
  return { predictedLoss: pool.values, proposalFloor: Float64Array.from(flat, (f, i) => Math.min(f, sharp[i])) };
}

/**
 * One run: draws `counts[last]` items without replacement from the proposal, feeding a confidence
 * sequence (with `withReference`, the reference bets of `poolReference`, and under the adaptive
 * acquisition each draw's floor under its power; tuned for `plannedLabels` when given) and LURE, and records
 * the intervals at each label count in `counts` (ascending).
 */
export function runOnce(
  pool: CsPool,
  acquisition: Acquisition,
  counts: readonly number[],
  seed: number,
  clip = 1e-3,
  withReference = false,
  plannedLabels?: number,
): RunRecord {
  const u = randomStream(seed, [7]);
  const n = pool.n;
  const cs = new RiskConfidenceSequence(
    pool.lower,
    pool.upper,
    withReference ? { reference: poolReference(pool, acquisition, clip), plannedLabels } : { plannedLabels },
  );
  // With reference bets the adaptive draws declare their own power's floor (one array per power).
  const drawFloors =
    withReference && acquisition === 'adaptive'
      ? new Map<number, Float64Array>(ADAPTIVE_POWERS.map((power) => [power, powerFloor(pool, clip, power)]))
      : null;
  const lure = new LUREEstimator(n);
  const taken = new Uint8Array(n);
  const weights = new Float64Array(n);
  const record: RunRecord = { anytime: [], anytimeAlwaysCovered: true, fixed: [], bootstrapHalfWidth: [] };
  let next = 0;
  let observedRatio = 1;
  for (let m = 1; m <= counts[counts.length - 1]; m++) {
    // Adaptive: sharpen or flatten the surrogate according to how well it has predicted so far (past only).
    const power = acquisition === 'adaptive' ? (observedRatio > 1 ? ADAPTIVE_POWERS[0] : ADAPTIVE_POWERS[1]) : 1;
    let total = 0;
    let remaining = 0;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      remaining++;
      const w = acquisition === 'iid' ? 1 : Math.pow(Math.max(pool.values[i], 1e-300), power);
      weights[i] = w;
      total += w;
    }
    const floor = acquisition === 'defensive' ? 0.5 : acquisition === 'iid' ? 1 : clip;
    let target = u() * 1;
    let chosen = -1;
    let q = 0;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      const p = (1 - floor) * (total > 0 ? weights[i] / total : 1 / remaining) + floor / remaining;
      chosen = i;
      q = p;
      target -= p;
      if (target < 0) break;
    }
    taken[chosen] = 1;
    const loss = pool.losses[chosen];
    cs.add(chosen, loss, q, drawFloors?.get(power));
    lure.add(loss, q);
    observedRatio = 0.9 * observedRatio + 0.1 * ((loss + 1e-3) / (pool.values[chosen] + 1e-3));
    const now = cs.anytime();
    if (!(now.lower <= pool.risk && pool.risk <= now.upper)) record.anytimeAlwaysCovered = false;
    if (m === counts[next]) {
      record.anytime.push(cs.anytime());
      record.fixed.push(cs.fixed());
      record.bootstrapHalfWidth.push(1.96 * Math.sqrt(lure.bootstrapVariance()));
      next++;
    }
  }
  return record;
}
