import { createRequire } from 'node:module';
import { permutation, type TextSet } from './data.js';

// The npm text models are CommonJS; natural loads dotenv, which would print banners on import.
process.env.DOTENV_CONFIG_QUIET = 'true';
const require = createRequire(import.meta.url);

/** N×K label logits, row-major, as the library's score matrices. */
export interface Logits {
  readonly data: Float64Array;
  readonly shape: [number, number];
}

function logitsFrom(rows: number, classes: number, fill: (row: number, out: Float64Array) => void): Logits {
  const data = new Float64Array(rows * classes);
  const out = new Float64Array(classes);
  for (let i = 0; i < rows; i++) {
    out.fill(0);
    fill(i, out);
    data.set(out, i * classes);
  }
  return { data, shape: [rows, classes] };
}

/**
 * AFINN-165 lexicon scores (npm `sentiment`) as binary logits: the summed word valence, scaled so
 * that one strongly valenced word (±3) means about 80% confidence.
 */
export function afinnLogits(texts: string[]): Logits {
  const Sentiment = require('sentiment');
  const analyzer = new Sentiment();
  return logitsFrom(texts.length, 2, (i, out) => {
    out[1] = 0.45 * analyzer.analyze(texts[i]).score;
  });
}

/** VADER (npm `vader-sentiment`) compound polarity in [−1, 1] as binary logits, ±4 at the extremes. */
export function vaderLogits(texts: string[]): Logits {
  const vader = require('vader-sentiment');
  return logitsFrom(texts.length, 2, (i, out) => {
    out[1] = 4 * vader.SentimentIntensityAnalyzer.polarity_scores(texts[i]).compound;
  });
}

/**
 * natural's multinomial naive Bayes (stemmed tokens), fitted on `train`; its per-class likelihoods
 * become logits through their logarithms. Naive Bayes multiplies per-word evidence as if words were
 * independent, so it is accurate but overconfident.
 */
export function naturalBayesLogits(train: TextSet, texts: string[]): Logits {
  const { BayesClassifier } = require('natural');
  const classifier = new BayesClassifier();
  for (let i = 0; i < train.texts.length; i++) classifier.addDocument(train.texts[i], String(train.labels[i]));
  classifier.train();
  return logitsFrom(texts.length, train.classes, (i, out) => {
    for (const { label, value } of classifier.getClassifications(texts[i]) as { label: string; value: number }[]) {
      out[Number(label)] = Math.log(Math.max(value, Number.MIN_VALUE));
    }
  });
}

function tokens(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
}

export interface LogisticOptions {
  /** L2 penalty per example; 0 lets the weights grow until the training set is separated (overconfidence). */
  l2: number;
  epochs: number;
  learningRate: number;
  seed: string;
}

/**
 * A multinomial logistic regression on binary bag-of-words features, fitted by SGD on `train`.
 * With few labels it is weak; with thousands and no penalty it is accurate but overconfident.
 */
export function bagOfWordsLogits(train: TextSet, texts: string[], options: LogisticOptions): Logits {
  const K = train.classes;
  const vocabulary = new Map<string, number>();
  const encode = (text: string, grow: boolean): Int32Array => {
    const ids = new Set<number>();
    for (const token of tokens(text)) {
      let id = vocabulary.get(token);
      if (id === undefined && grow) vocabulary.set(token, (id = vocabulary.size));
      if (id !== undefined) ids.add(id);
    }
    return Int32Array.from(ids);
  };
  const examples = train.texts.map((t) => encode(t, true));
  const V = vocabulary.size;
  const weights = new Float64Array((V + 1) * K); // row V holds the biases
  const scores = new Float64Array(K);
  const score = (ids: Int32Array): void => {
    for (let k = 0; k < K; k++) scores[k] = weights[V * K + k];
    for (const id of ids) for (let k = 0; k < K; k++) scores[k] += weights[id * K + k];
  };
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const rate = options.learningRate / (1 + epoch / 10);
    for (const e of permutation(examples.length, `${options.seed}/${epoch}`)) {
      const ids = examples[e];
      score(ids);
      let max = -Infinity;
      for (let k = 0; k < K; k++) max = Math.max(max, scores[k]);
      let total = 0;
      for (let k = 0; k < K; k++) total += scores[k] = Math.exp(scores[k] - max);
      for (let k = 0; k < K; k++) {
        const gradient = scores[k] / total - (k === train.labels[e] ? 1 : 0);
        weights[V * K + k] -= rate * gradient;
        for (const id of ids) weights[id * K + k] -= rate * (gradient + options.l2 * weights[id * K + k]);
      }
    }
  }
  return logitsFrom(texts.length, K, (i, out) => {
    score(encode(texts[i], false));
    out.set(scores);
  });
}

/** Fraction of rows whose largest logit is the label (ties to the first class). */
export function accuracy(logits: Logits, labels: Int32Array): number {
  const [n, K] = logits.shape;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (logits.data[i * K + k] > logits.data[i * K + best]) best = k;
    if (best === labels[i]) correct++;
  }
  return correct / n;
}

/** Mean cross-entropy of the labels under the logits' softmax. */
export function meanCrossEntropy(logits: Logits, labels: Int32Array): number {
  const [n, K] = logits.shape;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, logits.data[i * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(logits.data[i * K + k] - max);
    total += max + Math.log(sum) - logits.data[i * K + labels[i]];
  }
  return total / n;
}
