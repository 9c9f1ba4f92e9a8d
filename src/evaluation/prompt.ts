import { InputError } from '../errors.js';

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
 */
export function fillTemplate(template: string, values: { text: string; answer: string; label?: string }): string {
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
 */
export function promptPrefix(
  instruction: string,
  shots: ReadonlyArray<{ text: string; label: string }>,
  answerString: string,
  template: PromptTemplate = REFERENCE_TEMPLATE,
): string {
  return instruction + shots.map((s) => fillTemplate(template.shot, { text: s.text, answer: answerString, label: s.label })).join('');
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
