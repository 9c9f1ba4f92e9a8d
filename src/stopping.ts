/**
 * The labels a session waits for before the width of its confidence sequence may stop it, when the
 * stopping rule gives no `minLabels`. The sequence holds at every label count, so this is a floor a
 * user may lower, not a condition of the guarantee. One constant for `done()`, the progress that
 * the terminal and the browser page show, and the help of `--min-labels`; pure, as the page's
 * bundle reads it too.
 */
export const DEFAULT_MIN_LABELS = 30;
