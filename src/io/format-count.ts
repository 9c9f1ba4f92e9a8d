/**
 * A count with its noun in the number that agrees with it, for messages, progress lines, reports
 * and the labelling page: "1 item", "0 items", "3 items". Pure, no DOM: the terminal and the page
 * share it.
 *
 * @example
 * formatCount(1, 'label'); // "1 label"
 * formatCount(400, 'label'); // "400 labels"
 * formatCount(2, 'entry', 'entries'); // "2 entries"
 */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
