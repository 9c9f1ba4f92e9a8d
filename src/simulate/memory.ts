import { totalmem } from 'node:os';
import { ADAPTIVE_CANDIDATE_COUNT } from '../acquisition/adaptive/index.js';
import { InputError } from '../errors.js';
import { formatCount } from '../io/format-count.js';
import type { Numerics } from '../numerics.js';
import type { SimulationOptions } from './simulation-options.js';
import { recordedRowCount } from './recorded-rows.js';

/**
 * Bytes that a simulation's results take, for refusing early what cannot fit in memory. Writing
 * adds no copy of them: the `.npy` files are written from the arrays' own memory, and the int64
 * samples are encoded a fixed-size block at a time.
 *
 * @example
 * simulationOutputBytes({ runs: 1000, size: 400, step: 1, bootstrap: 'exact', numerics: 'default' }); // 11_200_000 (11 MB)
 * simulationOutputBytes({ runs: 1000, size: 400, step: 1, bootstrap: 'exact', numerics: 'default', intervals: 1, mixtureWeights: 7 }); // 40_000_000
 */
export function simulationOutputBytes(options: {
  runs: number;
  size: number;
  step: number;
  bootstrap: unknown;
  /** Which rows are recorded (`recordedRowCount`). */
  numerics: Numerics;
  /** Interval kinds computed: each keeps a lower and an upper bound per row and run. */
  intervals?: number;
  /** Numbers kept per draw by `recordMixtureWeights` (the adaptive proposal's candidates); 0 without. */
  mixtureWeights?: number;
}): number {
  const rows = recordedRowCount(options.size, options.step, options.numerics);
  const rowBytes = rows * 8 * (options.bootstrap === 'none' ? 1 : 2);
  // In memory: estimates (and bootstrap variances) f8, samples i4, q f8, mixture weights f8, interval bounds f8.
  return options.runs * (rowBytes + options.size * (4 + 8 + 8 * (options.mixtureWeights ?? 0)) + rows * 16 * (options.intervals ?? 0));
}

const GIB = 1024 ** 3;

/**
 * Refuses, before allocating, work that needs more than 80% of this machine's memory (the rest is
 * the process's own and other programs'): an `InputError` naming `argument`, whose expected text
 * `explain` writes from the two amounts, each formatted as GiB to one decimal ("3.2 GiB").
 *
 * @example
 * refuseBeyondMemory(2 ** 31, 'poolSize', 1e8, (needed, has) => `a pool that fits: ${needed}, of ${has}`, 2 ** 30); // InputError: poolSize: expected a pool that fits: 2.0 GiB, of 1.0 GiB, got 100000000
 */
export function refuseBeyondMemory(
  neededBytes: number,
  argument: string,
  received: unknown,
  explain: (needed: string, available: string) => string,
  available = totalmem(),
): void {
  if (neededBytes <= available * 0.8) return;
  const gib = (bytes: number): string => `${(bytes / GIB).toFixed(1)} GiB`;
  throw new InputError({ argument, expected: explain(gib(neededBytes), gib(available)), received });
}

export type MemoryOptions = Pick<
  SimulationOptions,
  'runs' | 'size' | 'step' | 'bootstrap' | 'numerics' | 'acquisition' | 'recordMixtureWeights'
>;

/**
 * Refuses, before allocating anything, simulations whose results cannot fit in this machine's
 * memory together (the demo holds both of its methods' results at once), with an `InputError`
 * naming `names.runs` (`--runs` on the command line) and saying how much they need.
 *
 * @example
 * assertFitsInMemory([{ runs: 1e9, size: 400, step: 1, bootstrap: 'exact', numerics: 'default', acquisition: 'iid' }], 0); // InputError: runs: expected runs × size that fit in memory: …
 */
export function assertFitsInMemory(
  simulations: readonly MemoryOptions[],
  intervals: number,
  names: { runs: string; size: string } = { runs: 'runs', size: 'size' },
  available = totalmem(),
): void {
  let needed = 0;
  for (const options of simulations) {
    const mixtureWeights = options.recordMixtureWeights === true && options.acquisition === 'adaptive' ? ADAPTIVE_CANDIDATE_COUNT : 0;
    needed += simulationOutputBytes({ ...options, intervals, mixtureWeights });
  }
  const { runs, size } = simulations[0]!;
  const each = simulations.length > 1 ? ` for each of ${simulations.length} methods` : '';
  refuseBeyondMemory(
    needed,
    names.runs,
    runs,
    (neededGiB, availableGiB) =>
      `runs × size that fit in memory: ${formatCount(runs, 'run')} of ${formatCount(size, 'label')}${each} need about ${neededGiB} for their results, this machine has ${availableGiB}; use fewer ${names.runs}${each ? '' : ` or a smaller ${names.size}`}`,
    available,
  );
}
