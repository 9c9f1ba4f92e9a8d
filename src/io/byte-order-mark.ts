/**
 * `text` without the byte-order mark that an editor saving "UTF-8 with BOM" puts first: it is not
 * part of the content, and `JSON.parse` refuses it.
 *
 * @example
 * withoutByteOrderMark('\uFEFF{"a": 1}'); // '{"a": 1}'
 */
export function withoutByteOrderMark(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}
