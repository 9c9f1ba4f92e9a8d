// Apart from the demo, which loads the report's renderer: \`simulate\` prints its table at these
// label counts without loading it.

/** Label counts at which the demo compares active testing with random labelling. */
export const DEMO_LABEL_COUNTS = [50, 100, 200, 400] as const;

/** The row of each label count (the last row with at most that many labels), without repeats. */
export function rowsAtLabelCounts(labelsPerRow: ArrayLike<number>, counts: readonly number[]): number[] {
  const rows: number[] = [];
  for (const count of counts) {
    let row = -1;
    for (let r = 0; r < labelsPerRow.length && labelsPerRow[r]! <= count; r++) row = r;
    if (row >= 0 && !rows.includes(row)) rows.push(row);
  }
  return rows;
}
