/**
 * `npm run bench:session-coverage`: the intervals of labelling sessions, checked as a user meets
 * them. Each run is an in-memory `ActiveTestingSession` over a hard pool of bench/coverage-pools.ts,
 * with a comparison target (the target's logits, a tenth of its items re-drawn), labelled with the
 * true labels; `estimate()` is read after every label. A row prints, over its runs: the share whose
 * confidence sequence held the truth at every label count at once, for the risk, the accuracy and
 * the paired difference; the lowest share, over the budgets from 10 labels, whose fixed-budget
 * risk interval held it; how many intervals of either kind had zero width before M = N; and the
 * median half-width of the risk's sequence at the end of the runs.
 *
 * With --skip p and --undo p each proposal is skipped with probability p (it leaves the pool, so
 * the truth is then the mean over the items not skipped) and the last action is undone with
 * probability p; the label counts then move both ways, no budget is fixed in advance, and only
 * the sequences, valid under any such path, are checked.
 *
 * Options: --runs R (400) --n N (1000) --size M (min(400, N)) --kinds list (all)
 * --losses list (cross-entropy,zero-one,brier) --acquisitions list (iid,surrogate-ce,adaptive,defensive)
 * --skip p (0) --undo p (0) --seed S (pool seed, 31).
 */
import { parseArgs } from 'node:util';
import { BUILTIN_LOSSES, type BuiltinLoss } from '../src/metrics/index.js';
import { randomStream } from '../src/random.js';
import { ActiveTestingSession, type CreateSessionOptions } from '../src/session/session.js';
import { COVERAGE_POOL_KINDS, coveragePool, type CoveragePoolKind } from './coverage-pools.js';
import { gaussian } from './pool-kinds.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    n: { type: 'string', default: '1000' },
    size: { type: 'string' },
    kinds: { type: 'string', default: COVERAGE_POOL_KINDS.join(',') },
    losses: { type: 'string', default: 'cross-entropy,zero-one,brier' },
    acquisitions: { type: 'string', default: 'iid,surrogate-ce,adaptive,defensive' },
    skip: { type: 'string', default: '0' },
    undo: { type: 'string', default: '0' },
    seed: { type: 'string', default: '31' },
  },
});

const runs = Number(args.runs);
const n = Number(args.n);
const size = args.size === undefined ? Math.min(400, n) : Number(args.size);
const skipShare = Number(args.skip);
const undoShare = Number(args.undo);
const pathsMove = skipShare > 0 || undoShare > 0;
const poolSeed = Number(args.seed);

/** The comparison target: the target's logits with a tenth of the items' logits drawn afresh. */
function comparisonScores(scores: { data: Float64Array; rows: number; cols: number }): Float64Array {
  const u = randomStream(poolSeed, [scores.rows, 7]);
  const gauss = gaussian(u);
  const out = Float64Array.from(scores.data);
  for (let i = 0; i < scores.rows; i++) {
    if (u() >= 0.1) continue;
    for (let c = 0; c < scores.cols; c++) out[i * scores.cols + c] = 1.8 * gauss();
  }
  return out;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted.length === 0 ? NaN : (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
};

/** Whether `interval` holds `truth`, allowing the rounding of sums over the pool. */
const holds = (interval: { lower: number; upper: number } | undefined, truth: number): boolean =>
  interval !== undefined && interval.lower <= truth + 1e-12 && truth - 1e-12 <= interval.upper;

console.log(
  `bench:session-coverage: ${runs} sessions per row, N = ${n}, ${size} labels, pool seed ${poolSeed}` +
    (pathsMove ? `, skip ${skipShare}, undo ${undoShare}` : '') +
    '\n',
);
console.log(
  '| N | pool | loss | acquisition | CS simultaneous: risk / accuracy / difference | fixed, lowest from 10 labels (at) | zero widths before M = N | CS half-width at the end (median) |',
);
console.log('|---|---|---|---|---|---|---|---|');
let lowestCs = 1;
let lowestFixed = 1;
for (const kind of args.kinds.split(',') as CoveragePoolKind[]) {
  const pool = coveragePool(kind, n, poolSeed);
  const { rows, cols } = pool.modelScores;
  const comparison = { data: comparisonScores(pool.modelScores), rows, cols };
  const texts = Array.from({ length: n }, (_, i) => `item ${i}`);
  const classes = Array.from({ length: cols }, (_, c) => `class ${c}`);
  const zeroOne = BUILTIN_LOSSES['zero-one'].perItem(pool.modelScores, pool.labels);
  for (const loss of args.losses.split(',') as BuiltinLoss[]) {
    const targetLosses = BUILTIN_LOSSES[loss].perItem(pool.modelScores, pool.labels);
    const comparisonLosses = BUILTIN_LOSSES[loss].perItem(comparison, pool.labels);
    for (const acquisition of args.acquisitions.split(',')) {
      const options: CreateSessionOptions = {
        texts,
        classes,
        modelScores: { data: pool.modelScores.data, shape: [rows, cols] },
        surrogateScores: { data: pool.surrogateScores.data, shape: [rows, cols] },
        comparisonScores: { data: comparison.data, shape: [rows, cols] },
        loss,
        acquisition: acquisition === 'defensive' ? 'surrogate-ce' : (acquisition as CreateSessionOptions['acquisition']),
        defensive: acquisition === 'defensive' ? 0.5 : null,
        plannedLabels: size,
      };
      const held = { risk: 0, accuracy: 0, difference: 0 };
      const fixedMisses = new Int32Array(size + 1);
      let zeroWidths = 0;
      const finalHalfWidths: number[] = [];
      for (let run = 0; run < runs; run++) {
        const session = await ActiveTestingSession.create(null, { ...options, seed: run });
        const actions = randomStream(run, [poolSeed, 11]);
        const skipped = new Uint8Array(n);
        // The pool's sums over the items not skipped, kept as items leave and come back.
        let totals = { risk: 0, accuracy: 0, difference: 0, items: n };
        for (let i = 0; i < n; i++) {
          totals.risk += targetLosses[i];
          totals.accuracy += 1 - zeroOne[i];
          totals.difference += targetLosses[i] - comparisonLosses[i];
        }
        const setSkipped = (index: number, value: 0 | 1): void => {
          skipped[index] = value;
          const sign = value === 1 ? -1 : 1;
          totals = {
            risk: totals.risk + sign * targetLosses[index],
            accuracy: totals.accuracy + sign * (1 - zeroOne[index]),
            difference: totals.difference + sign * (targetLosses[index] - comparisonLosses[index]),
            items: totals.items + sign,
          };
        };
        const ok = { risk: true, accuracy: true, difference: true };
        const history: { index: number; skip: boolean }[] = [];
        let labelled = 0;
        while (labelled < size) {
          const [item] = await session.next();
          if (item === undefined) break; // every item labelled or skipped
          if (actions() < skipShare) {
            await session.skip(item.id);
            setSkipped(item.index, 1);
            history.push({ index: item.index, skip: true });
          } else {
            await session.record(item.id, pool.labels[item.index]);
            labelled++;
            history.push({ index: item.index, skip: false });
          }
          if (history.length > 0 && actions() < undoShare) {
            await session.undo();
            const last = history.pop() as { index: number; skip: boolean };
            if (last.skip) setSkipped(last.index, 0);
            else labelled--;
          }
          const estimate = session.estimate();
          if (estimate.labels === 0) continue;
          const truth = {
            risk: totals.risk / totals.items,
            accuracy: totals.accuracy / totals.items,
            difference: totals.difference / totals.items,
          };
          const { comparison: paired } = estimate;
          ok.risk &&= holds(estimate.risk.anytime, truth.risk);
          ok.accuracy &&= holds(estimate.accuracy.anytime, truth.accuracy);
          ok.difference &&= holds(paired?.difference.anytime, truth.difference);
          if (!pathsMove && !holds(estimate.risk.fixed, truth.risk)) fixedMisses[estimate.labels]++;
          if (estimate.labels < totals.items) {
            for (const interval of [estimate.risk.anytime, estimate.risk.fixed, paired?.difference.anytime]) {
              if (interval !== undefined && !(interval.upper > interval.lower)) zeroWidths++;
            }
          }
        }
        const last = session.estimate().risk.anytime;
        if (last !== undefined) finalHalfWidths.push((last.upper - last.lower) / 2);
        held.risk += +ok.risk;
        held.accuracy += +ok.accuracy;
        held.difference += +ok.difference;
      }
      let lowest = 1;
      let at = '—';
      if (!pathsMove) {
        for (let m = 10; m <= size; m++) {
          const share = 1 - fixedMisses[m] / runs;
          if (share < lowest) [lowest, at] = [share, String(m)];
        }
      }
      const shares = [held.risk, held.accuracy, held.difference].map((count) => count / runs);
      lowestCs = Math.min(lowestCs, ...shares);
      lowestFixed = Math.min(lowestFixed, lowest);
      console.log(
        `| ${n} | ${kind} | ${loss} | ${acquisition} | ${shares.map((share) => share.toFixed(3)).join(' / ')} | ` +
          `${pathsMove ? '—' : `${lowest.toFixed(3)} (${at})`} | ${zeroWidths} | ${median(finalHalfWidths).toPrecision(3)} |`,
      );
    }
  }
}
console.log(
  `\nLowest CS simultaneous coverage ${lowestCs.toFixed(3)}` +
    (pathsMove ? '.' : `; lowest fixed-budget coverage ${lowestFixed.toFixed(3)}.`),
);
