/**
 * `npm run bench:cs-bet-optimum`: how narrow any betting interval can be on the upper side of the
 * cross-entropy risk, on the demo pool (`simulate --demo`: N = 10,000, K = 2, seed 0) under random
 * labelling at 200 labels, against what the library's fixed-budget interval reaches on the same
 * draws (docs/concepts.md, "The best bet").
 *
 * With K = 2 each item's loss is one of two known values, a_i (the target is right) or
 * b_i = a_i + w_i (wrong), so any bet on a draw is a pair (α_i if right, β_i if wrong) per item.
 * The test of "R ≥ r" must hold its expected factor ≤ 1 for every pool the bounds allow with risk
 * ≥ r; the worst such pool puts the missing loss D = N·r − Σa on the items whose bets lose least
 * per unit of loss, so the factor's mean is at most 1 when (α_i − β_i)/w_i = ν for one ν and
 * mean(α) ≤ 1 + ν·D/N (the fractional knapsack bounds the integer one). For each ν the bets that
 * maximise the expected log-growth under given probabilities p_i of "wrong" solve
 * (1 − p_i)/α_i + p_i/(α_i − ν·w_i) = η, η set by the budget. Here p_i are either the surrogate's
 * (a bet anyone could place before labelling) or the true outcomes themselves (hindsight: the best
 * fixed bet of this form for the pool, which no predictable bet can know), ν is picked per value of
 * r by the same expected growth, and the upper bound of a run is the largest r its 200 draws do not
 * reject at 2/α = 40 (one side's share of α = 0.05). The draws are 200 distinct items taken
 * uniformly; the bets leave the pool whole (a test for draws with replacement, which ignores the
 * little that 200 of 10,000 drawn items tell about the rest).
 *
 * Prints the median of (upper − estimate) ÷ the bootstrap's half-width for both, and for the
 * library's fixed-budget interval (with reference bets, tuned for 200 labels) on the same draws,
 * with its lower side.
 *
 * Options: --runs R (200).
 */
import { parseArgs } from 'node:util';
import { BOOTSTRAP_Z } from '../src/metrics/index.js';
import { finitePopulationFactor } from '../src/estimators/bootstrap.js';
import { RiskConfidenceSequence } from '../src/estimators/confidence-sequence.js';
import { BUILTIN_LOSSES, lossBounds } from '../src/metrics/index.js';
import { randomStream } from '../src/random.js';
import { simulationReference } from '../src/simulate/reference.js';
import { resolveSimulationOptions } from '../src/simulate/simulation-options.js';
import { syntheticPool } from '../src/simulate/syntheticPool.js';

const LABELS = 200;
const LOG_THRESHOLD = Math.log(40);
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const runs = Number(args.runs);

const pool = syntheticPool({ poolSize: 10_000, classCount: 2, seed: 0 });
const n = pool.labels.length;
const losses = BUILTIN_LOSSES['cross-entropy'].perItem(pool.modelScores, pool.labels);
const bounds = lossBounds(pool.modelScores, 'cross-entropy');
const excess = new Float64Array(n);
const wrong = new Uint8Array(n);
const surrogateWrong = new Float64Array(n);
let lowerTotal = 0;
for (let i = 0; i < n; i++) {
  excess[i] = bounds.upper[i] - bounds.lower[i];
  wrong[i] = losses[i] > (bounds.lower[i] + bounds.upper[i]) / 2 ? 1 : 0;
  lowerTotal += bounds.lower[i];
  // The surrogate's probability of the class the target does not predict.
  const [f0, f1] = [pool.modelScores.data[2 * i], pool.modelScores.data[2 * i + 1]];
  const [g0, g1] = [pool.surrogateScores.data[2 * i], pool.surrogateScores.data[2 * i + 1]];
  const other = f0 >= f1 ? 1 : 0;
  const otherLogit = other === 1 ? g1 - g0 : g0 - g1;
  surrogateWrong[i] = 1 / (1 + Math.exp(-otherLogit));
}
const risk = losses.reduce((s, v) => s + v, 0) / n;

/** The growth-optimal bets (log α_i, log β_i) for ν and budget N + ν·D under probabilities p; null when ν leaves no budget. */
function bets(nu: number, missing: number, p: Float64Array): { right: Float64Array; wrong: Float64Array; growth: number } | null {
  const budget = n + nu * missing;
  let floor = 0;
  for (let i = 0; i < n; i++) floor += nu * excess[i];
  if (floor >= budget) return null;
  const alpha = new Float64Array(n);
  const solve = (eta: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      // η·α·(α − c) = (1 − p)(α − c) + p·α, the root above c = ν·w_i.
      const c = nu * excess[i];
      const b = eta * c + 1;
      alpha[i] = (b + Math.sqrt(b * b - 4 * eta * (1 - p[i]) * c)) / (2 * eta);
      total += alpha[i];
    }
    return total;
  };
  let [lo, hi] = [1e-12, 1e12];
  for (let k = 0; k < 80; k++) {
    const eta = Math.sqrt(lo * hi);
    if (solve(eta) > budget) lo = eta;
    else hi = eta;
  }
  solve(hi);
  const right = new Float64Array(n);
  const wrongLog = new Float64Array(n);
  let growth = 0;
  for (let i = 0; i < n; i++) {
    right[i] = Math.log(alpha[i]);
    wrongLog[i] = Math.log(Math.max(alpha[i] - nu * excess[i], 1e-300));
    growth += (1 - p[i]) * right[i] + p[i] * wrongLog[i];
  }
  return { right, wrong: wrongLog, growth: growth / n };
}

// The draws: `runs` sets of 200 distinct items, uniformly at random.
const draws: Int32Array[] = [];
for (let r = 0; r < runs; r++) {
  const u = randomStream(0, [r]);
  const taken = new Uint8Array(n);
  const items = new Int32Array(LABELS);
  for (let m = 0; m < LABELS; m++) {
    let i: number;
    do i = Math.floor(u() * n);
    while (taken[i] === 1);
    taken[i] = 1;
    items[m] = i;
  }
  draws.push(items);
}
const estimates = draws.map((items) => items.reduce((s, i) => s + losses[i], 0) / LABELS);
const bootstrap = draws.map((items, r) => {
  let square = 0;
  for (const i of items) square += (losses[i] - estimates[r]) ** 2;
  return BOOTSTRAP_Z * Math.sqrt((square / LABELS / LABELS) * finitePopulationFactor(LABELS, n));
});
const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1];
};
const bootstrapMedian = median(bootstrap);

function bestBetUpper(p: Float64Array): number {
  const nus = Array.from({ length: 16 }, (_, k) => 0.01 * Math.pow(25, k / 15));
  const upper = new Float64Array(runs).fill(-Infinity);
  for (let step = 240; step >= 0; step--) {
    const r = risk - 0.05 + (0.6 * step) / 240;
    const missing = n * r - lowerTotal;
    let best: ReturnType<typeof bets> = null;
    for (const nu of nus) {
      const candidate = bets(nu, missing, p);
      if (candidate !== null && (best === null || candidate.growth > best.growth)) best = candidate;
    }
    if (best === null) continue;
    draws.forEach((items, run) => {
      let capital = 0;
      for (const i of items) capital += wrong[i] === 1 ? best.wrong[i] : best.right[i];
      if (capital < LOG_THRESHOLD) upper[run] = Math.max(upper[run], r);
    });
  }
  return median(Array.from(upper, (u, run) => u - estimates[run])) / bootstrapMedian;
}

const hindsight = new Float64Array(n);
for (let i = 0; i < n; i++) hindsight[i] = wrong[i] === 1 ? 0.999 : 0.001;

const options = resolveSimulationOptions({ acquisition: 'iid', estimator: 'iid' }, n, true);
const reference = simulationReference(pool, options);
const sequence = new RiskConfidenceSequence(bounds.lower, bounds.upper, {
  plannedLabels: LABELS,
  ...(reference === null ? {} : { reference }),
});
const libraryUpper: number[] = [];
const libraryLower: number[] = [];
draws.forEach((items, run) => {
  sequence.reset();
  items.forEach((i, m) => sequence.add(i, losses[i], 1 / (n - m)));
  const fixed = sequence.fixed();
  libraryUpper.push(fixed.upper - estimates[run]);
  libraryLower.push(estimates[run] - fixed.lower);
});

console.log(`bench:cs-bet-optimum: demo pool, cross-entropy (R = ${risk.toFixed(4)}), random labelling, ${LABELS} labels, ${runs} runs`);
console.log(`bootstrap half-width (median) ${bootstrapMedian.toFixed(4)}\n`);
console.log('| upper side, median (upper − estimate) ÷ bootstrap half-width | ratio |');
console.log('|---|---|');
console.log(`| best bet, surrogate's probabilities | ${bestBetUpper(surrogateWrong).toFixed(2)} |`);
console.log(`| best bet in hindsight (true outcomes) | ${bestBetUpper(hindsight).toFixed(2)} |`);
console.log(`| library, fixed-budget interval | ${(median(libraryUpper) / bootstrapMedian).toFixed(2)} |`);
console.log(`\nlibrary, fixed-budget interval, lower side: ${(median(libraryLower) / bootstrapMedian).toFixed(2)}`);
