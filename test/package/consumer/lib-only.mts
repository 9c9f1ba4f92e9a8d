// ES module consumer with `lib: ["es2022"]` and `types: []`: no DOM and no @types/node of its own.
// The package's declarations bring Node's types (AbortSignal here), from its dependency.
import { simulate, syntheticPool, type SimulationResult } from 'active-testing';
import { IidAcquisition } from 'active-testing/reference';

const pool = syntheticPool({ poolSize: 100, seed: 0 });
export const result: SimulationResult = await simulate(pool, { runs: 2, size: 10, seed: 0, signal: AbortSignal.timeout(60_000) });
export const used = [IidAcquisition];
