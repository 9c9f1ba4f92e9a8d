// CommonJS consumer with `lib: ["es2022"]` and `types: []`: no DOM and no @types/node of its own.
// The package's .d.cts declarations bring Node's types (AbortSignal here), from its dependency.
import { simulate, syntheticPool, type SimulationResult } from 'active-testing';
import { IidAcquisition } from 'active-testing/reference';

export function run(signal: AbortSignal): Promise<SimulationResult> {
  new IidAcquisition({ runs: 2 });
  return simulate(syntheticPool({ poolSize: 100, seed: 0 }), { runs: 2, size: 10, seed: 0, signal });
}
