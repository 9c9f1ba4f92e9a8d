import { readTsv, poolAndTrain, subset, type TextSet } from './data.js';
import { afinnLogits, bagOfWordsLogits, naturalBayesLogits, vaderLogits, accuracy, type Logits } from './models.js';

/** One benchmark case: a target model to evaluate on a real pool, and a surrogate that guides acquisition. */
export interface RealPair {
  readonly name: string;
  readonly dataset: string;
  readonly target: string;
  readonly surrogate: string;
  readonly targetLogits: Logits;
  readonly surrogateLogits: Logits;
  readonly labels: Int32Array;
  readonly targetAccuracy: number;
  readonly surrogateAccuracy: number;
  /** Labelled examples outside the pool and outside the surrogate's training set, for temperature calibration. */
  readonly calibration: { logits: Logits; labels: Int32Array };
}

const firstRows = (set: TextSet, n: number): TextSet =>
  subset(
    set,
    Int32Array.from({ length: n }, (_, i) => i),
  );
const rowsBetween = (set: TextSet, from: number, to: number): TextSet =>
  subset(
    set,
    Int32Array.from({ length: to - from }, (_, i) => from + i),
  );

const weak = { l2: 1e-3, epochs: 30, learningRate: 0.1, seed: 'weak' };
const overconfident = { l2: 0, epochs: 40, learningRate: 0.5, seed: 'overconfident' };

/** Held-out calibration rows: the 200 training rows after the first 3000 (never used to fit any model). */
const CALIBRATION = [3000, 3200] as const;

type SurrogateFit = (train: TextSet, texts: string[]) => Logits;

function pair(
  dataset: string,
  split: { pool: TextSet; train: TextSet },
  target: [string, Logits],
  surrogate: [string, SurrogateFit],
): RealPair {
  const [targetName, targetLogits] = target;
  const [surrogateName, fit] = surrogate;
  const calibrationSet = rowsBetween(split.train, ...CALIBRATION);
  const both = fit(split.train, [...split.pool.texts, ...calibrationSet.texts]);
  const K = split.pool.classes;
  const n = split.pool.texts.length;
  const surrogateLogits: Logits = { data: both.data.slice(0, n * K), shape: [n, K] };
  const calibrationLogits: Logits = { data: both.data.slice(n * K), shape: [calibrationSet.texts.length, K] };
  return {
    name: `${dataset}: ${targetName} ← ${surrogateName}`,
    dataset,
    target: targetName,
    surrogate: surrogateName,
    targetLogits,
    surrogateLogits,
    labels: split.pool.labels,
    targetAccuracy: accuracy(targetLogits, split.pool.labels),
    surrogateAccuracy: accuracy(surrogateLogits, split.pool.labels),
    calibration: { logits: calibrationLogits, labels: calibrationSet.labels },
  };
}

/**
 * The real target/surrogate pairs: SST-2 (10,000-sentence pool from train), Subj (6,000) and
 * AG News (4 classes, pool = the 7,600-row test split). Targets and surrogates are npm models
 * (AFINN, VADER, natural's naive Bayes) and bag-of-words logistic regressions fitted here, from
 * weak (200 labels) to accurate but overconfident (3,000 labels, no penalty).
 */
export function realPairs(dataDir: string): RealPair[] {
  const sst = poolAndTrain(dataDir, 'sst2/train.tsv', 2, 10_000, 'sst2');
  const subj = poolAndTrain(dataDir, 'subj/all.tsv', 2, 6_000, 'subj');
  const agTrain = readTsv(`${dataDir}/agnews/train_subset.tsv`, 4);
  const agTest = readTsv(`${dataDir}/agnews/test.tsv`, 4);
  const ag = { pool: agTest, train: agTrain };

  const weakLogistic: [string, SurrogateFit] = [
    'logistic regression, 200 labels (weak)',
    (train, texts) => bagOfWordsLogits(firstRows(train, 200), texts, weak),
  ];
  const overconfidentLogistic: [string, SurrogateFit] = [
    'logistic regression, 3000 labels, unpenalised (overconfident)',
    (train, texts) => bagOfWordsLogits(firstRows(train, 3000), texts, overconfident),
  ];
  const bayes = (labels: number): [string, SurrogateFit] => [
    `natural naive Bayes, ${labels} labels`,
    (train, texts) => naturalBayesLogits(firstRows(train, labels), texts),
  ];

  const afinn: [string, Logits] = ['AFINN (sentiment)', afinnLogits(sst.pool.texts)];
  const vader: [string, Logits] = ['VADER', vaderLogits(sst.pool.texts)];
  const subjBayes: [string, Logits] = [
    'natural naive Bayes, 300 labels',
    naturalBayesLogits(rowsBetween(subj.train, 3200, 3500), subj.pool.texts),
  ];
  const agLogistic: [string, Logits] = [
    'logistic regression, 500 labels',
    bagOfWordsLogits(rowsBetween(agTrain, 3200, 3700), agTest.texts, weak),
  ];

  return [
    pair('SST-2', sst, afinn, weakLogistic),
    pair('SST-2', sst, afinn, overconfidentLogistic),
    pair('SST-2', sst, vader, bayes(3000)),
    pair('Subj', subj, subjBayes, overconfidentLogistic),
    pair('Subj', subj, subjBayes, weakLogistic),
    pair('AG News', ag, agLogistic, bayes(3000)),
  ];
}
