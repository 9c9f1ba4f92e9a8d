/**
 * The labels a session waits for before the width of its confidence sequence may stop it, when the
 * stopping rule gives no `minLabels`. The sequence holds at every label count, so this is a floor a
 * user may lower, not a condition of the guarantee. One constant for `done()`, the progress that
 * the terminal and the browser page show, and the help of `--min-labels`; pure, as the page's
 * bundle reads it too.
 */
export const DEFAULT_MIN_LABELS = 30;

/**
 * Why a session that is done stopped, in the order `done()` checks: every item of the pool labelled
 * or skipped, the labels reaching `maxLabels`, else the width of the risk's confidence sequence.
 */
export type StopCause = 'pool' | 'max-labels' | 'target-half-width';

/**
 * The `StopCause` of a done session, from its estimate and its rule's `maxLabels`: one reading for
 * the browser page's banner and `label`'s closing line.
 *
 * @example
 * stopCause({ labels: 20, recorded: 20, pending: 0, poolSize: 20 }, 50); // 'pool'
 * stopCause({ labels: 50, recorded: 50, pending: 0, poolSize: 2000 }, 50); // 'max-labels'
 */
export function stopCause(
  estimate: { labels: number; recorded: number; pending: number; poolSize: number },
  maxLabels: number | undefined,
): StopCause {
  if (estimate.pending === 0 && estimate.recorded === estimate.poolSize) return 'pool';
  return maxLabels !== undefined && estimate.labels >= maxLabels ? 'max-labels' : 'target-half-width';
}
