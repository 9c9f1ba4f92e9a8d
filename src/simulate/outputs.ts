import { varianceDiagnosticRows } from '../acquisition/adaptive/index.js';
import type { SimulationResult } from '../acquisition/simulate.js';
import { writeOutputFolder, type OutputFile } from '../io/atomic.js';
import { encodeNpy, int64FromInt32 } from '../io/npy.js';
import type { Matrix } from '../matrix.js';
import { coverage, meanBias, medianSe, mse, rowMedian } from '../metrics/index.js';
import { VERSION } from '../version.js';

/** Every file a simulation output folder can hold; with `force`, all of them are replaced. */
export const SIMULATION_FILES = ['estimates.npy', 'samples.npy', 'q.npy', 'bootstrap_variance.npy', 'summary.json'] as const;

/** The contents of `summary.json`. Per-row arrays have one entry per row of `estimates.npy`. */
export interface SimulationSummary {
  version: string;
  /** Mean loss of the target model over the whole pool: what every run estimates. */
  true_risk: number;
  /** Labels acquired at each row: k·step + 1. */
  labels: number[];
  mse: number[];
  median_se: number[];
  /** Mean estimate across runs minus the true risk. */
  bias: number[];
  /** Fraction of runs whose estimate ± 2·sqrt(bootstrap variance) contains the true risk; absent without bootstrap. */
  coverage?: number[];
  /** Median over runs of each run's own estimate of its variance ÷ random labelling's (below 1: active testing helps); absent without bootstrap. */
  variance_ratio?: number[];
  /**
   * Per row, the fraction of runs whose own diagnostic says active testing is helping, hurting, or
   * has no evidence yet (docs/adaptive.md); absent without bootstrap.
   */
  variance_verdict?: { helping: number[]; hurting: number[]; no_evidence_yet: number[] };
  rows: number;
  runs: number;
  size: number;
  /** Every option, resolved, plus the inputs it ran on. */
  config: Record<string, unknown>;
}

/**
 * Per-row statistics of a simulation across its runs. Given the pool's per-item losses (what the
 * runs estimate the mean of) and a bootstrap, it adds `variance_ratio`, the diagnostic of docs/adaptive.md.
 *
 * @example
 * const summary = summarizeSimulation(result, { modelScores: 'f.npy' }, lossPerItem(f, y));
 * summary.variance_ratio?.at(-1); // e.g. 0.76: active testing is helping
 */
export function summarizeSimulation(result: SimulationResult, inputs: Record<string, unknown>, losses?: Float64Array): SimulationSummary {
  const estimates: Matrix = { data: result.estimates, rows: result.rows, cols: result.runs };
  const { random: _random, onProgress: _onProgress, signal: _signal, ...options } = result.options;
  const summary: SimulationSummary = {
    version: VERSION,
    true_risk: result.trueRisk,
    labels: Array.from(result.labelsPerRow),
    mse: Array.from(mse(estimates, result.trueRisk)),
    median_se: Array.from(medianSe(estimates, result.trueRisk)),
    bias: Array.from(meanBias(estimates, result.trueRisk)),
    rows: result.rows,
    runs: result.runs,
    size: result.size,
    config: { ...inputs, ...options },
  };
  if (result.bootstrapVariance) {
    const variance: Matrix = { data: result.bootstrapVariance, rows: result.rows, cols: result.runs };
    summary.coverage = Array.from(coverage(estimates, variance, result.trueRisk));
    // The diagnostic compares importance-weighted terms with random labelling's; ASE has no such terms.
    if (losses !== undefined && result.options.estimator !== 'ase') {
      const { ratios, verdicts } = varianceDiagnosticRows(result, losses);
      summary.variance_ratio = Array.from(rowMedian({ data: ratios, rows: result.rows, cols: result.runs }));
      summary.variance_verdict = verdictShares(verdicts, result.rows, result.runs);
    }
  }
  return summary;
}

/** Per row, the fraction of runs with each verdict code (0 no evidence yet, 1 helping, 2 hurting). */
function verdictShares(verdicts: Uint8Array, rows: number, runs: number): { helping: number[]; hurting: number[]; no_evidence_yet: number[] } {
  const shares = { helping: [] as number[], hurting: [] as number[], no_evidence_yet: [] as number[] };
  for (let row = 0; row < rows; row++) {
    const counts = [0, 0, 0];
    for (let r = 0; r < runs; r++) counts[verdicts[row * runs + r]]++;
    shares.no_evidence_yet.push(counts[0] / runs);
    shares.helping.push(counts[1] / runs);
    shares.hurting.push(counts[2] / runs);
  }
  return shares;
}

/** JSON with non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (the oracle's convention), not null. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}

/**
 * Writes a simulation's output folder as one unit: `estimates.npy` (float64, rows×runs),
 * `samples.npy` (int64, size×runs), `q.npy` (float64, size×runs), `bootstrap_variance.npy`
 * (float64, rows×runs, when bootstrapped) and `summary.json`. Existing output files are refused
 * unless `force`, which replaces all of them (and removes a stale `bootstrap_variance.npy`).
 *
 * @example
 * const result = await simulate(pool, { runs: 100 });
 * await writeSimulationOutputs('runs/a', result, summarizeSimulation(result, {}), { force: false });
 */
export async function writeSimulationOutputs(
  dir: string,
  result: SimulationResult,
  summary: SimulationSummary,
  options: { force?: boolean } = {},
): Promise<string[]> {
  const files: OutputFile[] = [
    { name: 'estimates.npy', data: encodeNpy({ data: result.estimates, shape: [result.rows, result.runs], dtype: 'f8' }) },
    { name: 'samples.npy', data: encodeNpy({ data: int64FromInt32(result.samples), shape: [result.size, result.runs], dtype: 'i8' }) },
    { name: 'q.npy', data: encodeNpy({ data: result.q, shape: [result.size, result.runs], dtype: 'f8' }) },
  ];
  if (result.bootstrapVariance) {
    files.push({ name: 'bootstrap_variance.npy', data: encodeNpy({ data: result.bootstrapVariance, shape: [result.rows, result.runs], dtype: 'f8' }) });
  }
  files.push({ name: 'summary.json', data: toJson(summary) });
  return writeOutputFolder(dir, files, { force: options.force, managed: SIMULATION_FILES });
}
