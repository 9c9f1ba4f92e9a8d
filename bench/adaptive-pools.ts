// The adaptive proposal on synthetic pools of every kind (`npm run bench:adaptive`): calibrated,
// anti-correlated, overconfident, constant and rare-error surrogates.
//
// For each pool: MSE of LURE (clip 0.1) ÷ random labelling's and ÷ the best fixed proposal's at
// 50/100/200/400 labels, and |z| (bias ÷ its standard error) of adaptive at 10/50/200 labels, over
// `--runs` runs (default 3000) with common random numbers. Pools: calibrated surrogates (K = 2, 10,
// 100, and K = 2 with sharper classes), the demo's `syntheticPool`, anti-correlated, anti-correlated
// and overconfident (logits ×10),
// a constant surrogate, and rare (1%) target errors the surrogate is confidently wrong on. Options:
// `--runs R`, `--seed S` (pool and run seeds), `--size N`, `--pools name,name`, `--verbose` (every
// fixed proposal); ADAPTIVE_OPTIONS=<JSON of AdaptiveOptions> overrides the adaptive defaults.
import {
  adaptiveCandidates,
  createAdaptiveSampler,
  createDefensiveSampler,
  secondMomentValues,
} from '../src/acquisition/adaptive/index.js';
import { SumTreeSampler } from '../src/acquisition/sum-tree-sampler.js';
import type { PoolSampler } from '../src/acquisition/sampler.js';
import { LUREEstimator } from '../src/estimators/index.js';
import { acquisitionValues, lossPerItem } from '../src/metrics/index.js';
import { EPS, NUMERICS_FLAGS } from '../src/numerics.js';
import { randomStream } from '../src/random.js';
import { POOLS, type Pool } from './pool-kinds.js';

const CLIP = 0.1;
const BUDGETS = [10, 50, 100, 200, 400];
const TABLE_BUDGETS = [50, 100, 200, 400];
const Z_BUDGETS = [10, 50, 200];

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const RUNS = Number(argument('runs', '3000'));
const SEED = Number(argument('seed', '0'));
const SIZE = Number(argument('size', '2000'));

function proposals(pool: Pool): { name: string; fixed: boolean; sampler: PoolSampler }[] {
  const { modelScores, surrogateScores } = pool;
  const input = { modelScores, surrogateScores, labels: pool.labels };
  const ce = (t: number) => acquisitionValues('surrogate-ce', input, { temperature: t, eps: EPS, flags: NUMERICS_FLAGS.default });
  const fixed = (values: Float64Array): PoolSampler => new SumTreeSampler(values, CLIP, 'corrected');
  const list = [{ name: 'random', fixed: true, sampler: fixed(new Float64Array(pool.labels.length).fill(1)) }];
  for (const t of [1, 2, 4]) {
    list.push({ name: `CE T=${t}`, fixed: true, sampler: fixed(ce(t)) });
    list.push({ name: `m2 T=${t}`, fixed: true, sampler: fixed(secondMomentValues(modelScores, surrogateScores, t)) });
  }
  list.push({
    name: 'defensive m2',
    fixed: true,
    sampler: createDefensiveSampler(secondMomentValues(modelScores, surrogateScores), CLIP, 0.5),
  });
  list.push({
    name: 'adaptive',
    fixed: false,
    sampler: createAdaptiveSampler(
      adaptiveCandidates(modelScores, surrogateScores),
      CLIP,
      JSON.parse(process.env.ADAPTIVE_OPTIONS ?? '{}'),
    ),
  });
  return list;
}

function run(sampler: PoolSampler, loss: Float64Array, seed: number): Float64Array {
  const estimates = new Float64Array(BUDGETS.length * RUNS);
  const lure = new LUREEstimator(loss.length);
  const observe = 'observe' in sampler ? (sampler as unknown as { observe(l: number): void }) : null;
  const size = BUDGETS[BUDGETS.length - 1];
  for (let r = 0; r < RUNS; r++) {
    sampler.reset();
    lure.reset();
    const u = randomStream(seed, [r]);
    for (let m = 1, b = 0; m <= size; m++) {
      const item = sampler.draw(u);
      lure.add(loss[item], sampler.lastProbability);
      observe?.observe(loss[item]);
      if (m === BUDGETS[b]) estimates[b++ * RUNS + r] = lure.estimate();
    }
  }
  return estimates;
}

const selected = argument('pools', Object.keys(POOLS).join(',')).split(',');
const failures: string[] = [];
const started = Date.now();
for (const name of selected) {
  const { kind, make } = POOLS[name];
  const pool = make(SIZE, SEED);
  const loss = lossPerItem(pool.modelScores, pool.labels);
  let truth = 0;
  for (const l of loss) truth += l / loss.length;
  const mse = new Map<string, number[]>();
  const z: number[] = [];
  let adaptiveSeconds = 0;
  for (const { name: proposal, sampler } of proposals(pool)) {
    const t0 = Date.now();
    const estimates = run(sampler, loss, SEED + 1);
    if (proposal === 'adaptive') adaptiveSeconds = (Date.now() - t0) / 1000;
    mse.set(
      proposal,
      BUDGETS.map((_, b) => {
        let s = 0;
        for (let r = 0; r < RUNS; r++) s += (estimates[b * RUNS + r] - truth) ** 2;
        return s / RUNS;
      }),
    );
    if (proposal === 'adaptive') {
      for (const budget of Z_BUDGETS) {
        const b = BUDGETS.indexOf(budget);
        let mean = 0;
        for (let r = 0; r < RUNS; r++) mean += estimates[b * RUNS + r] / RUNS;
        let v = 0;
        for (let r = 0; r < RUNS; r++) v += (estimates[b * RUNS + r] - mean) ** 2 / (RUNS - 1);
        z.push((mean - truth) / Math.sqrt(v / RUNS));
      }
    }
  }
  const random = mse.get('random')!;
  const adaptive = mse.get('adaptive')!;
  const fixedNames = [...mse.keys()].filter((p) => p !== 'adaptive');
  const cells = TABLE_BUDGETS.map((budget) => {
    const b = BUDGETS.indexOf(budget);
    const best = fixedNames.reduce((a, p) => (mse.get(p)![b] < mse.get(a)![b] ? p : a));
    return {
      budget,
      vsRandom: adaptive[b] / random[b],
      vsBest: adaptive[b] / mse.get(best)![b],
      best,
      bestVsRandom: mse.get(best)![b] / random[b],
    };
  });
  console.log(
    `${name.padEnd(20)} N=${SIZE} ` +
      cells
        .map((c) => `@${c.budget}: ÷rnd ${c.vsRandom.toFixed(2)} ÷best ${c.vsBest.toFixed(2)} (${c.best} ${c.bestVsRandom.toFixed(2)})`)
        .join(' | ') +
      ` | |z| ${z.map((v) => Math.abs(v).toFixed(1)).join('/')} | ${((adaptiveSeconds / RUNS) * 1e6).toFixed(0)} µs/run`,
  );
  if (process.argv.includes('--verbose')) {
    for (const [proposal, values] of mse)
      console.log(
        `  ${proposal.padEnd(14)} ${TABLE_BUDGETS.map((budget) => (values[BUDGETS.indexOf(budget)] / random[BUDGETS.indexOf(budget)]).toFixed(2)).join(' ')}`,
      );
  }
  for (const c of cells) {
    if (kind === 'overconfident' && (c.vsRandom > 1.1 || (c.budget === 400 && c.vsBest > 1.1)))
      failures.push(`${name} @${c.budget} ÷random ${c.vsRandom.toFixed(2)} ÷best ${c.vsBest.toFixed(2)}`);
    if (kind === 'good' && c.budget >= 200 && c.vsBest > 1.15) failures.push(`${name} @${c.budget} ÷best ${c.vsBest.toFixed(2)}`);
    if (kind === 'bad' && c.vsRandom > (c.budget >= 100 ? 1.15 : 1.3))
      failures.push(`${name} @${c.budget} ÷random ${c.vsRandom.toFixed(2)}`);
  }
  if (z.some((v) => Math.abs(v) > 4)) failures.push(`${name} |z| > 4`);
}
console.log(
  `\n${failures.length === 0 ? 'All targets met' : `Missed: ${failures.join('; ')}`} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
