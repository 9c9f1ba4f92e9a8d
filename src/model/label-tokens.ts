import { InputError } from '../errors.js';
import { checkArray, checkObject, checkString } from '../io/check-arguments.js';
import type { ScoringBackend } from './backend.js';

/**
 * The token whose logit scores each label: the first token of tokens(prompt + " " + label) after
 * tokens(prompt), i.e. the label's first token as the model would emit it after the prompt
 * (`▁positive` for SentencePiece, `Ġpositive` for BPE, `positive` for word-level vocabularies).
 * The reference takes the label's last sub-token instead (docs/reference-bugs.md, B-E3).
 * Two labels sharing a token, a label that maps to the unknown token or that tokenizes to nothing
 * after the prompt, is an `InputError`.
 *
 * @example
 * const ids = await labelTokenIds(model.backend, "Sentence: 'fine' \nLabel:", ['negative', 'positive']);
 * @throws {InputError} when `backend` has no `tokenize` function, `prompt` is not a string or `labels` not an array
 * of label words, before anything is tokenized.
 */
export async function labelTokenIds(
  backend: Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'>,
  prompt: string,
  labels: readonly string[],
  signal?: AbortSignal,
): Promise<number[]> {
  return (await tokenizeLabels(backend, prompt, labels, signal)).ids;
}

/**
 * How many tokens each label spans after the prompt, tokenized as `labelTokenIds` tokenizes it
 * (`tokens(prompt + " " + label)` past `tokens(prompt)`): a label of more than one token is scored
 * by its first token's logit alone.
 *
 * @example
 * await labelTokenCounts(model.backend, "Sentence: 'fine' \nLabel:", ['World', 'Sci/Tech']); // e.g. [1, 3]
 * @throws {InputError} as `labelTokenIds` does.
 */
export async function labelTokenCounts(
  backend: Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'>,
  prompt: string,
  labels: readonly string[],
  signal?: AbortSignal,
): Promise<number[]> {
  return (await tokenizeLabels(backend, prompt, labels, signal)).counts;
}

/**
 * `labelTokenIds` and `labelTokenCounts` from one tokenization of the prompt and of each label
 * after it: a scoring job needs both, and an ICL prompt of many shots is long to tokenize.
 *
 * @example
 * const { ids, counts } = await tokenizeLabels(model.backend, "Sentence: 'fine' \nLabel:", ['World', 'Sci/Tech']);
 * @throws {InputError} as `labelTokenIds` does.
 */
export async function tokenizeLabels(
  backend: Pick<ScoringBackend, 'tokenize' | 'unknownTokenId'>,
  prompt: string,
  labels: readonly string[],
  signal?: AbortSignal,
): Promise<{ ids: number[]; counts: number[] }> {
  const expected = 'a scoring backend (an object with a `tokenize` function, e.g. model.backend)';
  checkObject(backend, 'backend', expected);
  if (typeof backend.tokenize !== 'function') throw new InputError({ argument: 'backend', expected, received: backend });
  checkString(prompt, 'prompt');
  checkArray(labels, 'labels', 'an array of label words');
  if (labels.length < 2) throw new InputError({ argument: 'labels', expected: 'at least two labels', received: [...labels] });
  const promptIds = await backend.tokenize(prompt, signal);
  const ids: number[] = [];
  const counts: number[] = [];
  for (const label of labels) {
    if (label.trim() === '') throw new InputError({ argument: 'labels', expected: 'non-empty label words', received: [...labels] });
    const continued = await backend.tokenize(`${prompt} ${label}`, signal);
    const samePrefix = promptIds.every((id, i) => continued[i] === id);
    // Nothing of the label to score (a server's /tokenize answering `[]`): no merge to blame.
    if (continued.length === 0 || (samePrefix && continued.length === promptIds.length)) {
      throw new InputError({
        argument: 'labels',
        expected: `one token id per label: "${label}" tokenized to nothing after the prompt (the tokenizer returned ${continued.length === 0 ? 'no tokens at all' : "the prompt's tokens alone"} for the prompt followed by " ${label}")`,
        received: [...labels],
      });
    }
    if (!samePrefix) {
      throw new InputError({
        argument: 'labels',
        expected: `label "${label}" to start a new token after the prompt (the tokenizer merged it with the prompt's end)`,
        received: [...labels],
      });
    }
    ids.push(continued[promptIds.length] as number);
    counts.push(continued.length - promptIds.length);
  }
  checkLabelTokenIds(ids, labels, backend.unknownTokenId ?? null);
  return { ids, counts };
}

/**
 * Refuses token ids that are not columns of the model's logits: integers 0 to
 * `vocabularySize − 1`, or, while the size is not known, integers ≥ 0. An id outside
 * the logits would read another position's logit, or NaN, as a label's score.
 *
 * @throws InputError naming `labelTokenIds` and the valid range.
 * @example
 * checkTokenIdsInVocabulary([5, 608], 608); // throws: labelTokenIds: expected token ids in the vocabulary (integers 0 to 607), got [5, 608]
 * checkTokenIdsInVocabulary([5, -1], null); // InputError: labelTokenIds: expected token ids (integers ≥ 0), got [5, -1]
 */
export function checkTokenIdsInVocabulary(ids: readonly number[], vocabularySize: number | null): void {
  if (ids.every((id) => Number.isInteger(id) && id >= 0 && (vocabularySize === null || id < vocabularySize))) return;
  throw new InputError({
    argument: 'labelTokenIds',
    expected: vocabularySize === null ? 'token ids (integers ≥ 0)' : `token ids in the vocabulary (integers 0 to ${vocabularySize - 1})`,
    received: [...ids],
  });
}

/**
 * Checks explicit or derived label token ids: one per label, distinct, in the vocabulary
 * (`checkTokenIdsInVocabulary`), none equal to the unknown token.
 *
 * @example
 * checkLabelTokenIds([17, 17], ['good', 'great']); // throws: both labels map to token 17
 */
export function checkLabelTokenIds(
  ids: readonly number[],
  labels: readonly string[],
  unknownTokenId: number | null = null,
  vocabularySize: number | null = null,
): void {
  if (ids.length !== labels.length) {
    throw new InputError({ argument: 'labelTokenIds', expected: `one token id per label (${labels.length})`, received: ids.length });
  }
  checkTokenIdsInVocabulary(ids, vocabularySize);
  const seen = new Map<number, string>();
  ids.forEach((id, k) => {
    const label = labels[k] as string;
    if (unknownTokenId !== null && id === unknownTokenId) {
      throw new InputError({
        argument: 'labels',
        expected: `label "${label}" to be in the model's vocabulary (it maps to the unknown token)`,
        received: [...labels],
      });
    }
    const other = seen.get(id);
    if (other !== undefined) {
      throw new InputError({
        argument: 'labels',
        expected: `labels with distinct first tokens, but "${other}" and "${label}" both map to token ${id}`,
        received: [...labels],
      });
    }
    seen.set(id, label);
  });
}
