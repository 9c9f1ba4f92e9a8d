// What the documented calls return, for test/package/consumer.test.ts to hold against the types
// they are declared with (test/helpers/declared-shape.ts). Compiled with exactOptionalPropertyTypes
// and noUncheckedIndexedAccess, as the strictest consumer would, without a cast.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import {
  ActiveTestingSession,
  allErrorsFrame,
  createSplits,
  exportSessionLabels,
  FileFormatError,
  InputError,
  labellingCostVsRandom,
  loadReportSettings,
  lossBounds,
  lossPerItem,
  mse,
  OutputExistsError,
  parseOpenAIModelSpec,
  readNpy,
  SessionStateError,
  relativeToRandom,
  settingCurves,
  simulate,
  simulationIntervals,
  simulationReference,
  summarizeIntervals,
  summarizeSimulation,
  summaryTable,
  syntheticPool,
  toMatrix,
  varianceDiagnosticRows,
  writeReport,
  writeSimulationOutputs,
  type CustomLoss,
} from 'active-testing';

/** The error `run` throws, which must be a `Class`: typed so, its fields are checked too. */
async function thrown<E>(Class: abstract new (...args: never[]) => E, run: () => unknown): Promise<E> {
  try {
    await run();
  } catch (error) {
    if (error instanceof Class) return error;
    throw error;
  }
  throw new Error(`no ${Class.name} thrown`);
}

const dir = mkdtempSync('shapes-');
const pool = syntheticPool({ poolSize: 300, seed: 0 });
const active = await simulate(pool, { runs: 20, size: 40, seed: 1, recordMixtureWeights: true });
const random = await simulate(pool, { runs: 20, size: 40, seed: 1, acquisition: 'iid', estimator: 'iid' });
const withoutBootstrap = await simulate(pool, { runs: 5, size: 10, seed: 1, bootstrap: 'none' });
const modelScores = toMatrix(pool.modelScores);
const losses = lossPerItem(modelScores, pool.labels);
const reference = simulationReference(pool, active.options);
const intervals = simulationIntervals(
  active,
  losses,
  lossBounds(modelScores, 'cross-entropy'),
  ['anytime', 'fixed', 'bootstrap'],
  reference,
);
const summary = summarizeSimulation(active, {});
const estimates = { data: active.estimates, rows: active.rows, cols: active.runs };
await writeSimulationOutputs(join(dir, 'active'), active, summary);
await writeSimulationOutputs(join(dir, 'random'), random, summarizeSimulation(random, {}));
const settings = await loadReportSettings([join(dir, 'active'), join(dir, 'random')]);
const [activeCurves, randomCurves] = settings.map((setting) => settingCurves(setting));
if (activeCurves === undefined || randomCurves === undefined) throw new Error('two settings expected');

const texts = ['a', 'b', 'c', 'd', 'e', 'f'];
const scores = texts.map((_, i) => [i % 3, 1 - (i % 2)]);
const classes = ['negative', 'positive'];
const compared = await ActiveTestingSession.create(join(dir, 'compared.session'), {
  texts,
  classes,
  modelScores: scores,
  surrogateScores: scores,
  comparisonScores: scores.map((row) => [...row].reverse()),
  seed: 0,
});
const beforeLabels = compared.estimate();
const [first, second] = await compared.next(3);
if (first === undefined || second === undefined) throw new Error('three proposals expected');
await compared.record(first.id, 'positive', { annotator: 'ann' });
await compared.skip(second.id);
const undone = await compared.undo();
await compared.record(second.id, 0);
const comparedEstimate = compared.estimate();
const history = compared.history();
const lastResolution = compared.lastResolution();
await compared.close();
// A custom loss without bounds on purpose, as docs/sessions.md writes it.
const unbounded: CustomLoss = { name: 'absolute', itemLoss: (f, y) => Math.abs((f[0] ?? 0) - y), bounds: undefined };
const single = await ActiveTestingSession.create(null, { texts, classes, modelScores: scores, loss: unbounded });
const nothingToUndo = await thrown(SessionStateError, () => single.undo());
for (const proposal of await single.next(2)) await single.record(proposal.id, 'negative');
const singleEstimate = single.estimate();
await single.close();

// Typed by the names asked for: an Int32Array each under noUncheckedIndexedAccess, as the example
// of createSplits destructures them.
const { pool: poolRows, icl: iclRows } = createSplits(300, { pool: 100, icl: 10 }, 0);

export const probes = {
  splits: { poolRows, iclRows, sizes: [poolRows.length, iclRows.length] },
  active,
  random,
  withoutBootstrap,
  reference,
  intervals,
  intervalSummary: summarizeIntervals(intervals),
  summary,
  summaryWithoutBootstrap: summarizeSimulation(withoutBootstrap, {}),
  summaryWithLosses: summarizeSimulation(active, {}, losses),
  mse: mse(estimates, active.trueRisk),
  frame: allErrorsFrame(estimates, active.trueRisk, active.labelsPerRow),
  diagnostic: varianceDiagnosticRows(active, losses),
  settings,
  curves: activeCurves,
  relative: relativeToRandom(activeCurves, randomCurves, 'mse'),
  cost: labellingCostVsRandom(activeCurves, randomCurves, 'mse'),
  table: summaryTable([activeCurves, randomCurves], randomCurves),
  report: await writeReport([join(dir, 'active'), join(dir, 'random')], { out: join(dir, 'report') }),
  npy: await readNpy(join(dir, 'active', 'estimates.npy')),
  beforeLabels,
  undone,
  comparedEstimate,
  history,
  lastResolution,
  labels: exportSessionLabels(join(dir, 'compared.session')),
  singleEstimate,
  target: parseOpenAIModelSpec('openai:http://gpu-node:8000/v1#m', { env: {} }),
  inputError: await thrown(InputError, () => simulate(pool, { runs: -1 })),
  misspelt: await thrown(InputError, () => simulate(pool, { runs: 2, ...{ runz: 5 } })),
  nothingToUndo,
  fileError: await thrown(FileFormatError, () => readNpy(join(dir, 'report', 'summary.md'))),
  outputExists: await thrown(OutputExistsError, () => writeSimulationOutputs(join(dir, 'active'), active, summary)),
};
