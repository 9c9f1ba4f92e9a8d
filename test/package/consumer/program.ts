// A realistic ES module consumer, type-checked under moduleResolution node16, nodenext and
// bundler (skipLibCheck false): simulation, the estimators, a session, and the published code's
// class names from active-testing/reference, as the README shows them.
import {
  ActiveTestingError,
  ActiveTestingSession,
  createSplits,
  InputError,
  RiskConfidenceSequence,
  simulate,
  summarizeSimulation,
  syntheticPool,
  type SimulationResult,
} from 'active-testing';
import {
  EvaluationClassification,
  IidAcquisition,
  LUREEstimator,
  Model,
  SST2Dataset,
  SurrogateEntropyAcquisition,
} from 'active-testing/reference';

export async function main(): Promise<number> {
  const pool = syntheticPool({ poolSize: 500, seed: 0 });
  const result: SimulationResult = await simulate(pool, { runs: 20, size: 50, seed: 1 });
  const summary = summarizeSimulation(result, {});
  const lure = new LUREEstimator(500);
  lure.add(0.5, 1 / 500);
  const active = await new SurrogateEntropyAcquisition({ runs: 10, size: 20, estimator: LUREEstimator }).run(pool);
  const iid = await new IidAcquisition({ runs: 10, size: 20 }).run(pool);
  const sequence = new RiskConfidenceSequence(new Float64Array(500), new Float64Array(500).fill(1), { alpha: 0.1 });
  const session = await ActiveTestingSession.create(null, {
    texts: ['a', 'b', 'c', 'd'],
    classes: ['negative', 'positive'],
    modelScores: [
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 0],
    ],
    loss: 'cross-entropy',
    seed: 0,
  });
  const [item] = await session.next();
  if (item !== undefined) await session.record(item.id, 'positive');
  const { risk } = session.estimate();
  await session.close();
  try {
    await simulate(pool, { runs: -1 });
  } catch (error) {
    if (error instanceof InputError) console.log(error.argument, error.expected);
    else if (!(error instanceof ActiveTestingError)) throw error;
  }
  const evaluate = async (): Promise<number> => {
    const sst2 = await SST2Dataset.load('validation.tsv');
    const model = await Model.fromPretrained('onnx-community/Qwen2.5-0.5B-Instruct');
    const splits = createSplits(sst2.labels.length, { pool: 100 }, 0);
    const evaluation = new EvaluationClassification(model, sst2, { resultsDir: 'results', splits });
    return (await evaluation.evaluationProcedure('pool')).accuracy;
  };
  void evaluate;
  return lure.estimate() + active.estimates.get(0, 0) + iid.trueRisk + sequence.anytime().lower + risk.value + summary.runs;
}
