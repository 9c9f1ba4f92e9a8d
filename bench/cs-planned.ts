/**
 * `npm run bench:cs-planned`: what tuning a confidence sequence for planned labels buys and costs,
 * where nothing else widens it: losses in [0, 1] (bounds 0 and 1 for every item), random labelling
 * without replacement from N = 100,000 items, plain bets. Four pools: uniform losses, Bernoulli(0.3),
 * Bernoulli(0.05) and U⁴ (skewed). For the sequence tuned for every count (the default) and tuned
 * for 200 and for 400 labels, prints the median half-width ÷ the bootstrap's (±1.96σ with the
 * finite-population factor, σ the pool's) at 10/50/100/200/400 labels, the fixed-budget
 * interval's at 200, and the fraction of runs whose sequence held R at every count up to 400.
 *
 * Options: --runs R (200).
 */
import { parseArgs } from 'node:util';
import { BOOTSTRAP_Z } from '../src/metrics/index.js';
import { RiskConfidenceSequence } from '../src/estimators/confidence-sequence.js';
import { randomStream } from '../src/random.js';

const N = 100_000;
const COUNTS = [10, 50, 100, 200, 400];
const LABELS = COUNTS[COUNTS.length - 1];
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '200' } } });
const runs = Number(args.runs);

const POOLS: Record<string, (u: () => number) => number> = {
  uniform: (u) => u(),
  'Bernoulli(0.3)': (u) => (u() < 0.3 ? 1 : 0),
  'Bernoulli(0.05)': (u) => (u() < 0.05 ? 1 : 0),
  'U⁴ (skewed)': (u) => u() ** 4,
};
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1];

console.log(
  `bench:cs-planned: N = ${N.toLocaleString('en-US')}, losses in [0, 1], random labelling, plain bets, ${runs} runs of ${LABELS} labels\n`,
);
console.log(
  `| pool | σ | tuned for | CS ÷ bootstrap at ${COUNTS.join('/')} | fixed ÷ bootstrap at 200 | CS coverage (labels 1–${LABELS}) |`,
);
console.log('|---|---|---|---|---|---|');
for (const [name, draw] of Object.entries(POOLS)) {
  const u = randomStream(7, [0]);
  const losses = Float64Array.from({ length: N }, () => draw(u));
  const risk = losses.reduce((s, x) => s + x, 0) / N;
  const sigma = Math.sqrt(losses.reduce((s, x) => s + (x - risk) ** 2, 0) / N);
  const bootstrap = (m: number) => BOOTSTRAP_Z * sigma * Math.sqrt(((N - m) / (N - 1)) * (1 / m));
  for (const planned of [undefined, 200, 400]) {
    const sequence = new RiskConfidenceSequence(new Float64Array(N), new Float64Array(N).fill(1), { plannedLabels: planned });
    const halves = COUNTS.map(() => [] as number[]);
    const fixedHalves: number[] = [];
    let covered = 0;
    const order = new Int32Array(N);
    const pick = randomStream(11, [0]);
    for (let r = 0; r < runs; r++) {
      sequence.reset();
      for (let i = 0; i < N; i++) order[i] = i;
      let always = true;
      for (let m = 0; m < LABELS; m++) {
        const j = m + Math.floor(pick() * (N - m));
        [order[m], order[j]] = [order[j], order[m]];
        sequence.add(order[m], losses[order[m]], 1 / (N - m));
        const interval = sequence.anytime();
        if (!(interval.lower <= risk && risk <= interval.upper)) always = false;
        const at = COUNTS.indexOf(m + 1);
        if (at >= 0) halves[at].push((interval.upper - interval.lower) / 2);
        if (m + 1 === 200) {
          const fixed = sequence.fixed();
          fixedHalves.push((fixed.upper - fixed.lower) / 2);
        }
      }
      if (always) covered++;
    }
    const ratios = COUNTS.map((m, k) => (median(halves[k]) / bootstrap(m)).toFixed(2)).join(' / ');
    console.log(
      `| ${name} | ${sigma.toFixed(3)} | ${planned ?? 'every count'} | ${ratios} | ${(median(fixedHalves) / bootstrap(200)).toFixed(2)} | ${(covered / runs).toFixed(3)} |`,
    );
  }
}
