import { InputError } from '../errors.js';
import { checkArrayLike, checkObject, checkString } from '../io/check-arguments.js';

/**
 * How a query and an ICL shot are written. Placeholders: `{text}`, `{answer}` (the answer string,
 * e.g. `Label`) and, in shots, `{label}` (the class name). The prompt is
 * instruction + shots + query.
 */
export interface PromptTemplate {
  query: string;
  shot: string;
}

/** The reference's templates exactly (docs/llm-scoring.md): note the space before each newline. */
export const REFERENCE_TEMPLATE: Readonly<PromptTemplate> = {
  query: "Sentence: '{text}' \n{answer}:",
  shot: "Sentence: '{text}' \n{answer}: {label}\n\n",
};

/**
 * Fills `{text}`, `{answer}` and `{label}` in one pass, so that braces inside the text stay as they are.
 *
 * @example
 * fillTemplate("Sentence: '{text}' \n{answer}:", { text: 'fine', answer: 'Label' }); // "Sentence: 'fine' \nLabel:"
 * @throws {InputError} when `template` is not a string, `values` not an object, or `template` has a
 * placeholder that `values` does not fill.
 */
export function fillTemplate(template: string, values: { text: string; answer: string; label?: string }): string {
  checkString(template, 'template');
  checkObject(values, 'values', 'the placeholder values { text, answer, label? }');
  return template.replace(/\{(text|answer|label)\}/g, (match, key: 'text' | 'answer' | 'label') => {
    const value = values[key];
    if (value === undefined) throw new InputError({ argument: 'template', expected: `no ${match} placeholder here`, received: template });
    return value;
  });
}

/**
 * Everything before the query: the instruction, then each shot in order.
 *
 * @example
 * promptPrefix('Classify.\n', [{ text: 'a fine film', label: 'positive' }], 'Label'); // "Classify.\nSentence: 'a fine film' \nLabel: positive\n\n"
 * @throws {InputError} when `instruction` or `answerString` is not a string, `shots` not a list,
 * `template` not a template { query, shot }, or a shot not a shot { text, label }.
 */
export function promptPrefix(
  instruction: string,
  shots: ReadonlyArray<{ text: string; label: string }>,
  answerString: string,
  template: PromptTemplate = REFERENCE_TEMPLATE,
): string {
  checkString(instruction, 'instruction');
  checkArrayLike(shots, 'shots', 'a list of shots { text, label }');
  checkString(answerString, 'answerString');
  checkObject(template, 'template', 'a prompt template { query, shot }');
  const filled = Array.from(shots, (shot: unknown, k) => {
    checkObject(shot, `shots[${k}]`, 'a shot { text, label }');
    const { text, label } = shot as { text: string; label: string };
    return fillTemplate(template.shot, { text, answer: answerString, label });
  });
  return instruction + filled.join('');
}

/**
 * The full prompt for one item: `prefix` (from `promptPrefix`) followed by the query.
 *
 * @example
 * itemPrompt('Classify.\n', 'a fine film', 'Label'); // "Classify.\nSentence: 'a fine film' \nLabel:"
 */
export function itemPrompt(prefix: string, text: string, answerString: string, template: PromptTemplate = REFERENCE_TEMPLATE): string {
  return prefix + fillTemplate(template.query, { text, answer: answerString });
}
