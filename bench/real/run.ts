/**
 * `npm run bench:real`: active testing against random labelling on real data.
 * For each real target/surrogate pair it prints the squared-error ratio to random labelling at
 * 50/100/200/400 labels (LURE, clip 0.1) with Monte Carlo standard errors, then checks the goal:
 * adaptive ≤ 1.10× random at every budget, within 10% of the best fixed proposal at 400 labels,
 * and unbiased (|z| ≤ 4); a ratio fails only if it exceeds its bound by more than 2 standard errors.
 *
 * Options: --runs R (3000) --seed s (0) --pairs substring (all) --data DIR (../shared/data).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { lossPerItem } from '../../src/metrics/index.js';
import { realPairs } from './pairs.js';
import { benchProposals } from './proposals.js';
import { simulateRuns } from './simulate-runs.js';
import { biasZ, finiteMedian, pairedRatio, squaredErrors, type RatioWithError } from './statistics.js';

const BUDGETS = [50, 100, 200, 400] as const;
const RANDOM_BOUND = 1.1;
const BEST_FIXED_BOUND = 1.1;
const Z_BOUND = 4;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3000' },
    seed: { type: 'string', default: '0' },
    pairs: { type: 'string', default: '' },
    data: { type: 'string', default: resolve(import.meta.dirname, '../../', process.env.ACTIVE_TESTING_SHARED ?? '../shared', 'data') },
  },
});
const runs = Number(args.runs);
const seed = Number(args.seed);
if (!existsSync(args.data)) {
  console.error(`bench:real needs the real data in ${args.data} (set ACTIVE_TESTING_SHARED or --data)`);
  process.exit(1);
}

const started = performance.now();
const format = (x: RatioWithError): string => `${x.ratio.toFixed(3)}±${x.se.toFixed(3)}`;
const pairs = realPairs(args.data).filter((p) => p.name.includes(args.pairs));
console.log(
  `bench:real: ${pairs.length} pairs, ${runs} runs, LURE, clip 0.1, seed ${seed}; models fitted in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
const failures: string[] = [];
for (const pair of pairs) {
  const pairStart = performance.now();
  const modelScores = { data: pair.targetLogits.data, rows: pair.targetLogits.shape[0], cols: pair.targetLogits.shape[1] };
  const loss = lossPerItem(modelScores, pair.labels);
  let truth = 0;
  for (const l of loss) truth += l;
  truth /= loss.length;
  const { proposals, calibratedTemperature } = benchProposals(pair);
  console.log(`## ${pair.name}`);
  console.log(
    `N = ${loss.length}, K = ${modelScores.cols}, target accuracy ${pair.targetAccuracy.toFixed(3)}, surrogate accuracy ${pair.surrogateAccuracy.toFixed(3)}, ` +
      `true risk ${truth.toFixed(4)}, calibrated surrogate T = ${calibratedTemperature.toFixed(2)} (200 held-out labels)`,
  );
  const results = proposals.map((p) => ({ proposal: p, table: simulateRuns(p.sampler, loss, BUDGETS, runs, seed) }));
  const errors = results.map(({ table }) => BUDGETS.map((_, b) => squaredErrors(table.estimates, b, runs, truth)));
  const randomIndex = results.findIndex((r) => r.proposal.kind === 'random');
  const adaptiveIndex = results.findIndex((r) => r.proposal.kind === 'adaptive');
  const header = `| proposal | ${BUDGETS.map((b) => `${b} labels`).join(' | ')} | est. ratio @${BUDGETS.at(-1)} | max abs z |`;
  console.log(header);
  console.log(header.replace(/[^|]+/g, '---'));
  results.forEach(({ proposal, table }, j) => {
    const ratios = BUDGETS.map((_, b) => pairedRatio(errors[j][b], errors[randomIndex][b], 400, seed));
    const z = Math.max(...BUDGETS.map((_, b) => Math.abs(biasZ(table.estimates, b, runs, truth))));
    console.log(
      `| ${proposal.name} | ${ratios.map(format).join(' | ')} | ${finiteMedian(table.diagnostic).toFixed(3)} | ${z.toFixed(1)} |`,
    );
  });
  // The goal, judged with Monte Carlo errors.
  const last = BUDGETS.length - 1;
  BUDGETS.forEach((budget, b) => {
    const r = pairedRatio(errors[adaptiveIndex][b], errors[randomIndex][b], 400, seed);
    if (r.ratio - 2 * r.se > RANDOM_BOUND) failures.push(`${pair.name}: adaptive ${format(r)}× random at ${budget} labels`);
  });
  const fixedIndices = results.flatMap((r, j) => (r.proposal.kind === 'fixed' || r.proposal.kind === 'random' ? [j] : []));
  const best = fixedIndices.reduce((i, j) =>
    errors[j][last].reduce((s, x) => s + x, 0) < errors[i][last].reduce((s, x) => s + x, 0) ? j : i,
  );
  const versusBest = pairedRatio(errors[adaptiveIndex][last], errors[best][last], 400, seed);
  console.log(`adaptive ÷ best fixed (${results[best].proposal.name}) at ${BUDGETS[last]} labels: ${format(versusBest)}`);
  if (versusBest.ratio - 2 * versusBest.se > BEST_FIXED_BOUND)
    failures.push(`${pair.name}: adaptive ${format(versusBest)}× the best fixed at ${BUDGETS[last]}`);
  BUDGETS.forEach((budget, b) => {
    const z = biasZ(results[adaptiveIndex].table.estimates, b, runs, truth);
    if (Math.abs(z) > Z_BOUND) failures.push(`${pair.name}: adaptive bias z = ${z.toFixed(2)} at ${budget} labels`);
  });
  console.log(`(${((performance.now() - pairStart) / 1000).toFixed(1)} s)\n`);
}
console.log(failures.length === 0 ? 'GOAL HOLDS on every pair' : `GOAL FAILS:\n  ${failures.join('\n  ')}`);
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exitCode = failures.length === 0 ? 0 : 1;
