import type { ScoringBackend } from '../../src/model/index.js';

/**
 * A scoring backend for tests: every word is its own token, `scores(prompts, labels)` gives each
 * batch's scores, and `controller` is aborted once `stopAfter` batches were scored.
 */
export function wordBackend(
  scores: (prompts: number, labels: number) => Float32Array,
  controller?: AbortController,
  stopAfter = Infinity,
): ScoringBackend {
  const vocabulary = new Map<string, number>();
  let batches = 0;
  return {
    modelId: 'fake',
    async tokenize(text) {
      return text
        .split(/\s+/)
        .filter(Boolean)
        .map((word) => vocabulary.get(word) ?? vocabulary.set(word, vocabulary.size + 1).get(word)!);
    },
    async scoreBatch(prompts, labels) {
      if (++batches === stopAfter) controller?.abort();
      return scores(prompts.length, labels.length);
    },
  };
}
