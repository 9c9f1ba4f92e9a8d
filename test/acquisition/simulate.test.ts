import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import { IidAcquisition, SurrogateEntropyAcquisition } from '../../src/reference/index.js';
import {
  prepareSimulation,
  resolveSimulationOptions,
  runPrepared,
  simulate,
  type SimulationOptions,
  type SimulationResult,
} from '../../src/simulate/index.js';
import { runInWorkers } from '../../src/simulate/worker-pool.js';
import { IidEstimator, LUREEstimator } from '../../src/estimators/index.js';
import { CancelledError, InputError } from '../../src/errors.js';
import { ACQUISITION_FUNCTIONS } from '../../src/metrics/index.js';
import { randomStream } from '../../src/random.js';
import { simulationInput, syntheticPool } from './synthetic-pool.js';

const pool = syntheticPool(200, 3, 1);
const input = simulationInput(pool);

function column(values: Float64Array, runs: number, row: number): Float64Array {
  return values.subarray(row * runs, (row + 1) * runs);
}

/** Result tables in shared memory, shaped like an in-process result's, for a worker thread to fill. */
function sharedOutputsLike(result: SimulationResult) {
  const float = (like: Float64Array) => new Float64Array(new SharedArrayBuffer(like.byteLength));
  return {
    estimates: float(result.estimates),
    samples: new Int32Array(new SharedArrayBuffer(result.samples.byteLength)),
    q: float(result.q),
    bootstrapVariance: float(result.estimates),
    mixtureWeights: result.mixtureWeights === null ? null : float(result.mixtureWeights),
  };
}

describe('simulate: LURE is unbiased for every acquisition function', () => {
  const runs = 3000;
  const size = 60;
  for (const acquisition of ACQUISITION_FUNCTIONS) {
    it(`${acquisition}: mean over ${runs} runs within 4 standard errors of the true risk at M = 1, 5, 20, 60`, async () => {
      const result = await simulate(input, {
        acquisition,
        estimator: 'lure',
        runs,
        size,
        seed: 3,
        threads: 1,
        clip: 0.05,
        bootstrap: 'none',
      });
      for (const labels of [1, 5, 20, 60]) {
        const estimates = column(result.estimates, runs, labels - 1);
        const mean = estimates.reduce((a, b) => a + b, 0) / runs;
        const sd = Math.sqrt(estimates.reduce((a, x) => a + (x - mean) ** 2, 0) / (runs - 1));
        // The true-loss proposal makes the estimate almost constant, so rounding sets the floor.
        expect(Math.abs(mean - result.trueRisk)).toBeLessThan(4 * (sd / Math.sqrt(runs)) + 1e-12 * result.trueRisk);
      }
    });
  }

  it('the naive IS estimator is not: its bias shows at M = 60 under the true-loss proposal', async () => {
    const result = await simulate(input, {
      acquisition: 'true-loss',
      estimator: 'is',
      runs,
      size,
      seed: 3,
      threads: 1,
      clip: 0.05,
      bootstrap: 'none',
    });
    const estimates = column(result.estimates, runs, size - 1);
    const mean = estimates.reduce((a, b) => a + b, 0) / runs;
    const sd = Math.sqrt(estimates.reduce((a, x) => a + (x - mean) ** 2, 0) / (runs - 1));
    expect(Math.abs(mean - result.trueRisk)).toBeGreaterThan(4 * (sd / Math.sqrt(runs)));
  });
});

describe('simulate: results', () => {
  it('are bit-identical for 1 and 2 threads (fast sampler, exact and Monte Carlo bootstrap)', async () => {
    // The worker starts when the work left after the first tile would take this thread over 50 ms,
    // so how the tiles are shared varies; the next test runs a worker alone.
    for (const bootstrap of ['exact', 25] as const) {
      const options: Partial<SimulationOptions> = { runs: bootstrap === 'exact' ? 4000 : 600, size: 50, step: 3, seed: 9, bootstrap };
      const one = await simulate(input, { ...options, threads: 1 });
      const two = await simulate(input, { ...options, threads: 2 });
      expect(two.estimates).toEqual(one.estimates);
      expect(two.samples).toEqual(one.samples);
      expect(two.q).toEqual(one.q);
      expect(two.bootstrapVariance).toEqual(one.bootstrapVariance);
      expect(one.estimates.every(Number.isFinite)).toBe(true);
    }
  });

  it('gives a worker thread’s runs bit for bit as this thread runs them', async () => {
    const prepared = prepareSimulation(input, { runs: 37, size: 50, step: 3, seed: 9, threads: 1 });
    const inProcess = await runPrepared(prepared);
    const { config, pool } = prepared;
    const outputs = sharedOutputsLike(inProcess);
    const tiles = new Int32Array(new SharedArrayBuffer(4));
    let completed = 0;
    await runInWorkers(pool, config, outputs, tiles, 1, (runs) => (completed += runs), new AbortController().signal);
    expect(completed).toBe(37);
    expect(outputs.estimates).toEqual(inProcess.estimates);
    expect(outputs.samples).toEqual(inProcess.samples);
    expect(outputs.q).toEqual(inProcess.q);
    expect(outputs.bootstrapVariance).toEqual(inProcess.bootstrapVariance);
  });

  it("records an adaptive run's mixture weights per draw, bit for bit on a worker thread too", async () => {
    const options = { acquisition: 'adaptive', runs: 19, size: 40, step: 7, seed: 3, threads: 1 } as const;
    // Kept only when asked for: J numbers per draw.
    expect((await simulate(input, options)).mixtureWeights).toBeNull();
    const prepared = prepareSimulation(input, { ...options, recordMixtureWeights: true });
    const inProcess = await runPrepared(prepared);
    const weights = inProcess.mixtureWeights!;
    const J = prepared.pool.mixture!.candidates.length;
    expect(weights.length).toBe(40 * 19 * J);
    // The first draws use the prior, whatever the run.
    expect(Array.from(weights.subarray(0, J))).toEqual(Array.from(prepared.pool.mixture!.weights));
    const { config, pool } = prepared;
    const outputs = sharedOutputsLike(inProcess);
    await runInWorkers(pool, config, outputs, new Int32Array(new SharedArrayBuffer(4)), 1, () => {}, new AbortController().signal);
    expect(outputs.samples).toEqual(inProcess.samples);
    expect(outputs.mixtureWeights).toEqual(weights);
  });

  it('have the documented shapes: rows = ceil(size/step), row k after k·step + 1 labels', async () => {
    const result = await simulate(input, { runs: 4, size: 10, step: 3, threads: 1 });
    expect(result.rows).toBe(4);
    expect(Array.from(result.labelsPerRow)).toEqual([1, 4, 7, 10]);
    expect(result.estimates.length).toBe(16);
    expect(result.samples.length).toBe(40);
    expect(result.q.length).toBe(40);
    expect(result.bootstrapVariance?.length).toBe(16);
    expect(result.options.acquisition).toBe('adaptive');
    // Every run acquires distinct items.
    for (let r = 0; r < 4; r++) {
      const items = new Set(Array.from({ length: 10 }, (_, m) => result.samples[m * 4 + r]));
      expect(items.size).toBe(10);
    }
  });

  it('record a last row after all size labels where the step skips it: the row of a step-1 run, bit for bit', async () => {
    const cases = [
      { acquisition: 'adaptive', estimator: 'lure' },
      { acquisition: 'iid', estimator: 'iid' },
      { acquisition: 'surrogate-ce', estimator: 'ase' },
      { acquisition: 'surrogate-ce', estimator: 'is' },
    ] as const;
    for (const { acquisition, estimator } of cases) {
      const options = { acquisition, estimator, runs: 5, size: 10, seed: 4, threads: 1 } as const;
      const stepped = await simulate(input, { ...options, step: 4 });
      const every = await simulate(input, { ...options, step: 1 });
      expect(Array.from(stepped.labelsPerRow)).toEqual([1, 5, 9, 10]);
      expect(stepped.rows).toBe(4);
      for (const [row, labels] of stepped.labelsPerRow.entries()) {
        expect(column(stepped.estimates, 5, row), `${acquisition} ${labels}`).toEqual(column(every.estimates, 5, labels - 1));
        expect(column(stepped.bootstrapVariance!, 5, row)).toEqual(column(every.bootstrapVariance!, 5, labels - 1));
      }
    }
    // A step that reaches the last label records no other row; a step of the whole size records the first and the last.
    expect(Array.from((await simulate(input, { runs: 2, size: 9, step: 4, threads: 1 })).labelsPerRow)).toEqual([1, 5, 9]);
    expect(Array.from((await simulate(input, { runs: 2, size: 10, step: 10, threads: 1 })).labelsPerRow)).toEqual([1, 10]);
  });

  it('keep the published rows under reference numerics: every step from the first label, none after the last', async () => {
    for (const acquisition of ['surrogate-ce', 'iid'] as const) {
      const result = await simulate(input, { acquisition, runs: 3, size: 10, step: 4, numerics: 'reference', threads: 1 });
      expect(Array.from(result.labelsPerRow)).toEqual([1, 5, 9]);
      expect([result.rows, result.estimates.length, result.bootstrapVariance!.length]).toEqual([3, 9, 9]);
    }
  });

  it('reproduce the reference’s empty last iid row only in reference numerics (B-A3)', async () => {
    const options: Partial<SimulationOptions> = { acquisition: 'iid', runs: 2, size: 10, step: 3, threads: 1 };
    const reference = await simulate(input, { ...options, numerics: 'reference' });
    expect(Array.from(column(reference.estimates, 2, 3))).toEqual([0, 0]);
    const corrected = await simulate(input, options);
    expect(column(corrected.estimates, 2, 3).every((v) => v > 0)).toBe(true);
  });

  it('LURE and ASE both give the true risk once every item is labelled', async () => {
    for (const estimator of ['lure', 'ase'] as const) {
      const result = await simulate(input, { estimator, runs: 3, size: 200, threads: 1 });
      for (const v of column(result.estimates, 3, 199)) expect(Math.abs(v - result.trueRisk)).toBeLessThan(1e-12 * result.trueRisk);
    }
  });

  it('the Monte Carlo bootstrap averages to the exact one (B = 400)', async () => {
    const options: Partial<SimulationOptions> = { runs: 40, size: 30, seed: 5, threads: 1 };
    const exact = await simulate(input, { ...options, bootstrap: 'exact' });
    const monteCarlo = await simulate(input, { ...options, bootstrap: 400 });
    expect(monteCarlo.estimates).toEqual(exact.estimates);
    const rows = [9, 29];
    for (const row of rows) {
      let ratio = 0;
      for (let r = 0; r < 40; r++)
        ratio += (monteCarlo.bootstrapVariance as Float64Array)[row * 40 + r] / (exact.bootstrapVariance as Float64Array)[row * 40 + r];
      // Each ratio has relative sd sqrt(2/400) ≈ 7 %; their mean over 40 runs ≈ 1.1 %.
      expect(Math.abs(ratio / 40 - 1)).toBeLessThan(0.05);
    }
  });

  it('an injected random source draws the runs one after the other with the reference-order sampler', async () => {
    const uniforms = Array.from({ length: 20 }, randomStream(4, []));
    let i = 0;
    const options = { acquisition: 'surrogate-ce', runs: 2, size: 10, bootstrap: 'none', threads: 2 } as const;
    const injected = await simulate(input, { ...options, random: () => uniforms[i++] });
    expect(i).toBe(20); // one uniform per draw
    i = 0;
    const again = await simulate(input, { ...options, random: () => uniforms[i++], threads: 1 });
    expect(again.samples).toEqual(injected.samples);
    expect(injected.bootstrapVariance).toBeNull();
    // The adaptive mixture takes more uniforms per draw, from the same source, reproducibly.
    const adaptive = await simulate(input, { runs: 2, size: 10, bootstrap: 'none', random: randomStream(4, []) });
    const adaptiveAgain = await simulate(input, { runs: 2, size: 10, bootstrap: 'none', random: randomStream(4, []) });
    expect(adaptiveAgain.samples).toEqual(adaptive.samples);
  });

  it('stops with CancelledError when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(simulate(input, { runs: 5, size: 5, threads: 1, signal: controller.signal })).rejects.toThrow(CancelledError);
    await expect(simulate(input, { runs: 5, size: 5, threads: 2, signal: controller.signal })).rejects.toThrow(CancelledError);
  });

  it('reports progress up to the total', async () => {
    const seen: number[] = [];
    await simulate(input, { runs: 6, size: 5, threads: 1, onProgress: (done, total) => seen.push(done / total) });
    expect(seen.at(-1)).toBe(1);
  });
});

describe('simulate: options and bad input', () => {
  it('resolves the defaults of issue 2 §8', () => {
    const withSurrogate = resolveSimulationOptions({}, 1000, true);
    expect(withSurrogate).toMatchObject({
      acquisition: 'adaptive',
      estimator: 'lure',
      clip: 0.1,
      temperature: null,
      runs: 1000,
      size: 400,
      step: 1,
      seed: 0,
      bootstrap: 'exact',
      numerics: 'default',
    });
    expect(withSurrogate.threads).toBeGreaterThanOrEqual(1);
    expect(resolveSimulationOptions({}, 50, false)).toMatchObject({ acquisition: 'iid', estimator: 'iid', size: 50 });
    // A step beyond the labels per run would record the first label only.
    expect(resolveSimulationOptions({ size: 40, step: 40 }, 50, false).step).toBe(40);
    expect(() => resolveSimulationOptions({ size: 40, step: 41 }, 50, false)).toThrow(
      'step: expected an integer in [1, 40] (at most size, the labels per run), got 41',
    );
    // The paper's fixed proposal where adaptive does not apply: reference numerics, a defensive mixture.
    expect(resolveSimulationOptions({ numerics: 'reference' }, 1000, true).acquisition).toBe('surrogate-ce');
    expect(resolveSimulationOptions({ defensive: 0.5 }, 1000, true).acquisition).toBe('surrogate-ce');
  });

  const bad: [string, Partial<SimulationOptions>, RegExp][] = [
    ['size 0', { size: 0 }, /^size/],
    ['step < 1', { step: 0 }, /^step/],
    ['clip = 1', { clip: 1 }, /^clip/],
    ['clip < 0', { clip: -0.1 }, /^clip/],
    ['runs = 0', { runs: 0 }, /^runs/],
    ['temperature 0', { temperature: 0 }, /^temperature/],
    ['unknown acquisition', { acquisition: 'entropy' as never }, /^acquisition/],
    ['unknown estimator', { estimator: 'pure' as never }, /^estimator/],
    ['bootstrap 0', { bootstrap: 0 }, /^bootstrap/],
    ['threads 0', { threads: 0 }, /^threads/],
    ['numerics', { numerics: 'fast' as never }, /^numerics/],
  ];
  for (const [name, options, message] of bad) {
    it(`rejects ${name} with an InputError naming the option`, async () => {
      await expect(simulate(input, options)).rejects.toThrow(InputError);
      await expect(simulate(input, options)).rejects.toThrow(message);
    });
  }

  it('rejects missing surrogate scores, mismatched shapes, NaN scores and bad labels', async () => {
    const { surrogateScores: _, ...noSurrogate } = input;
    await expect(simulate(noSurrogate, { acquisition: 'surrogate-pe' })).rejects.toThrow(/surrogateScores/);
    await expect(simulate(noSurrogate, { estimator: 'ase' })).rejects.toThrow(/surrogateScores/);
    const small = simulationInput(syntheticPool(10, 3, 2));
    await expect(simulate({ ...input, surrogateScores: small.surrogateScores })).rejects.toThrow(/surrogateScores/);
    const nan = Float64Array.from(input.modelScores.data);
    nan[3 * 7 + 1] = Number.NaN;
    await expect(simulate({ ...input, modelScores: { data: nan, shape: [200, 3] } })).rejects.toThrow(/row 7/);
    const labels = Int32Array.from(input.labels);
    labels[5] = 3;
    await expect(simulate({ ...input, labels })).rejects.toThrow(/labels \(row 5\)/);
    await expect(simulate({ ...input, modelScores: { data: new Float64Array(200), shape: [200, 1] } })).rejects.toThrow(/K ≥ 2/);
  });
});

describe('acquisition classes', () => {
  it('SurrogateEntropyAcquisition returns the Python-shaped tables and accepts estimator classes', async () => {
    const at = new SurrogateEntropyAcquisition({
      runs: 5,
      size: 8,
      step: 2,
      estimator: LUREEstimator,
      threads: 1,
      acquisitionFunction: 'predictive-entropy',
    });
    expect(at.acquisitionFunction).toBe('predictive-entropy');
    const result = await at.run({
      modelScores: ndarray(pool.modelScores.data, [200, 3]),
      surrogateScores: ndarray(pool.surrogateScores.data, [200, 3]),
      labels: pool.labels,
    });
    // Rows after 1, 3, 5 and 7 labels, and the last after all 8.
    expect(result.estimates.shape).toEqual([5, 5]);
    expect(Array.from(result.simulation.labelsPerRow)).toEqual([1, 3, 5, 7, 8]);
    expect(result.samples.shape).toEqual([5, 8]);
    expect(result.acquisitionWeights.shape).toEqual([5, 8]);
    expect(result.samples.get(2, 3)).toBe(result.simulation.samples[3 * 5 + 2]);
    expect(result.acquisitionWeights.get(4, 7)).toBe(result.simulation.q[7 * 5 + 4]);
    expect(result.simulation.options.estimator).toBe('lure');
  });

  it('IidAcquisition defaults to the plain mean and takes one-hot labels', async () => {
    const oneHot = Array.from(pool.labels, (y) => [0, 1, 2].map((k) => (k === y ? 1 : 0)));
    const result = await new IidAcquisition({ runs: 3, size: 5, threads: 1 }).run({ modelScores: input.modelScores, labels: oneHot });
    expect(result.simulation.options.estimator).toBe('iid');
    const explicit = await new IidAcquisition({ runs: 3, size: 5, threads: 1, estimator: IidEstimator }).run({
      modelScores: input.modelScores,
      labels: pool.labels,
    });
    expect(explicit.simulation.estimates).toEqual(result.simulation.estimates);
    expect(() => new SurrogateEntropyAcquisition({ acquisitionFunction: 'bald' as never })).toThrow(InputError);
    expect(() => new SurrogateEntropyAcquisition({ acquisitionFunction: 'surrogate-pe' as never })).toThrow(
      "acquisitionFunction: expected 'cross-entropy' | 'predictive-entropy' | 'nll' (did you mean 'predictive-entropy', the published name of surrogate-pe?), got",
    );
  });

  it('name their own options in errors, and say what run takes when given the arrays one by one', async () => {
    const input = { modelScores: pool.modelScores, surrogateScores: pool.surrogateScores, labels: pool.labels };
    await expect(new SurrogateEntropyAcquisition({ runs: 2, size: 5, clipPercentage: 0 }).run(input)).rejects.toThrow(
      /^clipPercentage: expected a clip fraction in \(0, 1\)/,
    );
    const positional = new SurrogateEntropyAcquisition({ runs: 2, size: 5 }) as unknown as { run(...args: unknown[]): Promise<unknown> };
    await expect(positional.run(pool.modelScores, pool.surrogateScores, pool.labels)).rejects.toThrow(
      'input: expected one object { modelScores, surrogateScores?, labels }, got 3 arguments',
    );
  });

  it("IidAcquisition records each draw's probability 1/(N − m + 1), not the reference's 1/N, in both numerics (docs/reference-bugs.md)", async () => {
    const n = pool.labels.length;
    for (const numerics of ['default', 'reference'] as const) {
      const { acquisitionWeights } = await new IidAcquisition({ runs: 2, size: 4, threads: 1, numerics }).run({
        modelScores: pool.modelScores,
        labels: pool.labels,
      });
      for (let run = 0; run < 2; run++) {
        expect(Array.from({ length: 4 }, (_, m) => acquisitionWeights.get(run, m))).toEqual([1 / n, 1 / (n - 1), 1 / (n - 2), 1 / (n - 3)]);
      }
    }
  });

  it("point the published constructor's flags and an estimator instance to what they take, when constructed", () => {
    // SurrogateEntropyAcquisition(cross_entropy=False, nll=True) of the Python code.
    for (const flag of ['cross_entropy', 'crossEntropy', 'nll']) {
      expect(() => new SurrogateEntropyAcquisition({ [flag]: false } as never)).toThrow(
        new RegExp(`^${flag}: expected a known option, did you mean acquisitionFunction\\? \\(valid: acquisitionFunction, step,`),
      );
    }
    // An instance where the class is meant was refused only by run, as "[object Object]".
    expect(() => new SurrogateEntropyAcquisition({ estimator: new LUREEstimator(3) as never })).toThrow(
      "estimator: expected 'lure' | 'is' | 'iid' | 'ase' or LUREEstimator | ISEstimator | IidEstimator (the class, not an instance), got a LUREEstimator",
    );
    // A name as a string, the class's or misspelt, gets the name it means.
    expect(() => new IidAcquisition({ estimator: 'LUREEstimator' as never })).toThrow(
      'estimator: expected one of lure | is | iid | ase (did you mean lure?), got "LUREEstimator"',
    );
    expect(() => new IidAcquisition({ estimator: 'lur' as never })).toThrow(
      'estimator: expected one of lure | is | iid | ase (did you mean lure?), got "lur"',
    );
  });
});
