import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy.js';
import { randomStream } from '../../src/random.js';
import { lossBounds, lossPerItem } from '../../src/metrics/index.js';
import { simulate } from '../../src/simulate/simulate.js';
import { simulationIntervals, type IntervalKind } from '../../src/simulate/intervals.js';
import {
  poolFingerprint,
  summarizeIntervals,
  summarizeSimulation,
  writeSimulationOutputs,
  type SimulationSummary,
} from '../../src/simulate/outputs.js';
import { simulationInput, syntheticPool } from '../acquisition/synthetic-pool.js';

export interface FakeSimulation {
  acquisition: string;
  estimator: string;
  /** Standard deviation of one estimate after one label; it shrinks as 1/sqrt(labels). */
  noise: number;
  rows?: number;
  runs?: number;
  step?: number;
  trueRisk?: number;
  bootstrap?: boolean;
  seed?: number;
}

/**
 * Writes a folder in `simulate`'s output format with seeded Gaussian estimates around the true
 * risk, and bootstrap variances near the true variance, so that report numbers can be checked
 * against the raw arrays.
 */
export function writeFakeSimulation(dir: string, spec: FakeSimulation): void {
  const { rows = 400, runs = 60, step = 1, trueRisk = 0.4, bootstrap = true, seed = 1 } = spec;
  const normal = gaussian(randomStream(seed, [rows, runs]));
  const labels = Array.from({ length: rows }, (_, k) => k * step + 1);
  const estimates = new Float64Array(rows * runs);
  const variance = new Float64Array(rows * runs);
  for (let r = 0; r < rows; r++) {
    const sd = spec.noise / Math.sqrt(labels[r] as number);
    for (let c = 0; c < runs; c++) {
      estimates[r * runs + c] = trueRisk + sd * normal();
      variance[r * runs + c] = sd * sd * (0.8 + (0.4 * Math.abs(normal())) / 2);
    }
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'estimates.npy'), encodeNpy({ data: estimates, shape: [rows, runs], dtype: 'f8' }));
  if (bootstrap) writeFileSync(join(dir, 'bootstrap_variance.npy'), encodeNpy({ data: variance, shape: [rows, runs], dtype: 'f8' }));
  const summary = {
    true_risk: trueRisk,
    labels,
    config: {
      acquisition: spec.acquisition,
      estimator: spec.estimator,
      clipPercentage: spec.acquisition === 'iid' ? 0 : 0.1,
      temperature: null,
      runs,
      size: (rows - 1) * step + 1,
      step,
      seed,
    },
    version: 'test',
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
}

function gaussian(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A small real simulation on the seeded synthetic pool of test/acquisition, written as `simulate --interval …` writes it. */
export interface SimulatedFolder {
  acquisition: 'iid' | 'surrogate-ce';
  runs: number;
  size: number;
  step: number;
  seed: number;
  kinds: readonly IntervalKind[];
}

/**
 * Runs `simulate` on a 300-item, 3-class synthetic pool, computes the requested interval kinds
 * and writes the output folder (estimates, bootstrap variance, `<kind>_lower/upper.npy`,
 * summary.json with the pool size and `intervals`), as the CLI does.
 */
export async function writeSimulatedFolder(dir: string, spec: SimulatedFolder): Promise<SimulationSummary> {
  const pool = syntheticPool(300, 3, 4);
  const result = await simulate(simulationInput(pool), {
    acquisition: spec.acquisition,
    estimator: spec.acquisition === 'iid' ? 'iid' : 'lure',
    runs: spec.runs,
    size: spec.size,
    step: spec.step,
    seed: spec.seed,
    threads: 1,
  });
  const losses = lossPerItem(pool.modelScores, pool.labels);
  const intervals = simulationIntervals(result, losses, lossBounds(pool.modelScores, 'cross-entropy'), spec.kinds);
  const summary = summarizeSimulation(
    result,
    { poolSize: pool.labels.length, poolFingerprint: poolFingerprint(pool.modelScores.data, pool.labels) },
    losses,
  );
  summary.intervals = summarizeIntervals(intervals);
  await writeSimulationOutputs(dir, result, summary, { intervals });
  return summary;
}
