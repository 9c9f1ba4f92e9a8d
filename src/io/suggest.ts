import { InputError } from '../errors.js';
import { checkObject } from './check-arguments.js';

/** Levenshtein distance between two strings (insertions, deletions and substitutions cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Names of earlier versions (and of the Python-parity layer), mapped to today's. */
const RENAMED: Readonly<Record<string, string>> = {
  clipPercentage: 'clip',
  'clip-percentage': 'clip',
  targetScores: 'modelScores',
  'target-scores': 'model-scores',
  nbIclExamples: 'iclExamples',
  ce: 'cross-entropy',
  // syntheticPool's and runDemo's counts; elsewhere `size` is the labels per run and `classes` the class names.
  size: 'poolSize',
  classes: 'classCount',
  // OpenAIBackend's and OpenAIHttpClient's retry policy, once an object of milliseconds.
  retry: 'maxRetries',
  timeoutMs: 'requestTimeout',
  initialDelayMs: 'retryDelay',
  maxDelayMs: 'maxRetryDelay',
};

/** Renamed options whose new name also takes another unit, which the suggestion must say. */
const RENAMED_UNITS: Readonly<Record<string, string>> = {
  timeoutMs: 'in seconds, not milliseconds',
  initialDelayMs: 'in seconds, not milliseconds',
  maxDelayMs: 'in seconds, not milliseconds',
};

/**
 * Words users reach for, each mapped to the valid name it means (`budget` → `size`): declared with
 * the options they name (`OptionDeclaration.synonyms`), and preferred over any spelling nearby.
 */
export type Synonyms = Readonly<Record<string, string>>;

/**
 * The valid name closest to `name`, when it is close enough to be a likely misspelling: the one
 * a declared synonym means (`budget` → `size`, before `iclBudget`, which it spells), within a
 * third of its length in edits (at least 2), one whose initials it is (`ce` → `cross-entropy`), or
 * one it names with words left out (`timeout` → `requestTimeout`), or the first words of it
 * (`export-file` → `export`, `labelsFile` → `labels`: words after a name say what form it takes).
 * A valid name after other words is none: words before a name make it another thing
 * (`plannedLabels` is no `labels`, `maxClip` no `clip`).
 *
 * @example
 * closestName('clipPercentag', ['clip', 'clipPercentage']); // 'clipPercentage'
 * closestName('budget', ['size', 'iclBudget'], { budget: 'size' }); // 'size'
 */
export function closestName(name: string, valid: readonly string[], synonyms: Synonyms = {}): string | undefined {
  return closest(name, valid, synonyms, false);
}

/** The fewest first letters of a choice that `closestChoice` suggests it for: one letter is too many choices' start. */
const MIN_PREFIX_LENGTH = 2;

/**
 * The valid choice (an option's value) closest to `value`: the one it is the start of, where no
 * other starts so (`ref` → `reference`, `ad` → `adaptive`; at least 2 letters), else
 * {@link closestName}'s. A choice's value is a word the user shortens, which a name they spell out
 * is not: the start of one is read as meant before any spelling nearby (`ad` is 2 edits from
 * `iid`). Only suggested: a choice is given whole.
 *
 * @example
 * closestChoice('ref', ['default', 'reference']); // 'reference'
 * closestChoice('su', ['surrogate-ce', 'surrogate-pe']); // undefined: the start of both
 */
export function closestChoice(value: string, choices: readonly string[], synonyms: Synonyms = {}): string | undefined {
  return closest(value, choices, synonyms, true);
}

function closest(name: string, valid: readonly string[], synonyms: Synonyms, prefixes: boolean): string | undefined {
  // A flag's spelling where a key is expected: `icl-examples` → `iclExamples`.
  const camelCase = name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const meant = Object.hasOwn(synonyms, name) ? synonyms[name] : Object.hasOwn(synonyms, camelCase) ? synonyms[camelCase] : undefined;
  if (meant !== undefined && valid.includes(meant)) return meant;
  const renamed = RENAMED[name];
  if (renamed !== undefined && valid.includes(renamed)) return renamed;
  if (camelCase !== name && valid.includes(camelCase)) return camelCase;
  const lower = name.toLowerCase();
  if (prefixes && lower.length >= MIN_PREFIX_LENGTH) {
    const started = valid.filter((candidate) => candidate.toLowerCase().startsWith(lower));
    if (started.length === 1) return started[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3))) return best;
  // Abbreviations: `ce` for cross-entropy, `pe` for predictive-entropy.
  const initials = valid.find(
    (candidate) =>
      words(candidate)
        .map((word) => word[0])
        .join('') === lower,
  );
  if (initials !== undefined) return initials;
  // Whole words only: `timeout` → `requestTimeout`, but not `out` → `requestTimeout`.
  return valid.find((candidate) => containsWords(words(candidate), lower) || startsWithWords(words(name), words(candidate).join('')));
}

/** The lower-case words of a name: `requestTimeout`, `request-timeout` and `request timeout` → request, timeout. */
function words(name: string): string[] {
  return name
    .split(/[-_\s]|(?=[A-Z])/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}

/** Whether the first words of `parts`, run together, spell `text`. */
function startsWithWords(parts: readonly string[], text: string): boolean {
  let joined = '';
  for (const part of parts) {
    joined += part;
    if (joined === text) return true;
    if (joined.length >= text.length) return false;
  }
  return false;
}

/** Whether consecutive words of `parts`, run together, spell `text`. */
function containsWords(parts: readonly string[], text: string): boolean {
  for (let first = 0; first < parts.length; first++) {
    let joined = '';
    for (let last = first; last < parts.length && joined.length < text.length; last++) {
      joined += parts[last];
      if (joined === text) return true;
    }
  }
  return false;
}

/**
 * "did you mean …? (valid: …)" for an unknown `name`: what every refusal of an unknown option,
 * flag, key or choice says.
 *
 * @example
 * didYouMean('clp', ['clip', 'runs']); // 'did you mean clip? (valid: clip, runs)'
 */
export function didYouMean(
  name: string,
  valid: readonly string[],
  format: (name: string) => string = (n) => n,
  synonyms: Synonyms = {},
): string {
  const closest = closestName(name, valid, synonyms);
  const list = `valid: ${valid.map(format).join(', ')}`;
  if (closest === undefined) return `(${list})`;
  const unit = RENAMED[name] === closest ? RENAMED_UNITS[name] : undefined;
  return `did you mean ${format(closest)}${unit === undefined ? '' : ` (${unit})`}? (${list})`;
}

/**
 * Refuses the first key of `object` that is not in `known`, naming it with a suggestion (a
 * declared synonym's name first): a misspelt option would otherwise be ignored without a word.
 * `where` prefixes the key in the error (`settings[0]` → `settings[0].clp`).
 *
 * @throws {InputError} on an unknown key, or when `object` is not an object (null, an array).
 * @example
 * checkKnownKeys({ clp: 0.2 }, ['clip', 'runs'], 'options'); // InputError: options.clp: expected a known option, did you mean clip? …
 */
export function checkKnownKeys(object: object, known: readonly string[], where: string | null, synonyms: Synonyms = {}): void {
  checkObject(object, where ?? 'options');
  const unknown = Object.keys(object).find((key) => !known.includes(key) && (object as Record<string, unknown>)[key] !== undefined);
  if (unknown === undefined) return;
  // "did you mean x? (valid: …)" follows a comma; a bare "(valid: …)" follows a space.
  const hint = didYouMean(unknown, known, undefined, synonyms);
  throw new InputError({
    argument: where === null ? unknown : `${where}.${unknown}`,
    expected: `a known option${hint.startsWith('(') ? ' ' : ', '}${hint}`,
  });
}

/**
 * Checks that `value` is one of `choices`, or throws an `InputError` naming `argument` with a
 * suggestion ({@link closestChoice}) and the valid names; `synonyms` are words users reach for (`random` → `iid`),
 * suggested before any spelling nearby.
 *
 * @throws {InputError} when `value` is not one of `choices`.
 * @example
 * checkChoice('ce', ['cross-entropy', 'zero-one', 'brier'], 'loss'); // InputError: loss: expected … did you mean cross-entropy? …
 */
export function checkChoice<T extends string>(value: unknown, choices: readonly T[], argument: string, synonyms: Synonyms = {}): T {
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  const meant = typeof value === 'string' ? closestChoice(value, choices, synonyms) : undefined;
  const hint = meant === undefined ? '' : ` (did you mean ${meant}?)`;
  throw new InputError({ argument, expected: `one of ${choices.join(' | ')}${hint}`, received: value });
}

/** The shortest data name (column, class) that `meantHint` suggests or suggests for, but for a difference in case. */
const MIN_SUGGESTED_LENGTH = 3;

/**
 * " (did you mean …?)" for a `value` close to one of the names in `valid` (`closestName`), else "":
 * what a refusal that already lists the names of the user's data (its columns, its classes) adds
 * to them. Such names can be one character long ("a", "1"), and a name that short is within a
 * couple of edits of anything, so one is suggested only for a name that differs in case alone or
 * where both have at least 3 characters: `"0"` among the classes 1–5 gets no suggestion.
 *
 * @example
 * meantHint('sentense', ['sentence', 'label'], (name) => JSON.stringify(name)); // ' (did you mean "sentence"?)'
 * meantHint('review', ['sentence', 'label']); // ''
 */
export function meantHint(value: unknown, valid: readonly string[], format: (name: string) => string = (n) => n): string {
  if (typeof value !== 'string') return '';
  const closest = closestName(value, valid);
  if (closest === undefined) return '';
  const sameButCase = closest.toLowerCase() === value.toLowerCase();
  return sameButCase || Math.min(closest.length, value.length) >= MIN_SUGGESTED_LENGTH ? ` (did you mean ${format(closest)}?)` : '';
}
