/**
 * Whether a calibration set is the pool itself: the pool's labels, item for item, with the
 * surrogate's scores on the pool. Both must match, so that a small pool whose labels another set
 * shares by chance is not taken for it.
 *
 * @example
 * calibratesOnPool({ scores: { data: g.data }, labels: y }, { surrogateScores: g, labels: y }); // true
 */
export function calibratesOnPool(
  calibration: { scores: { data: ArrayLike<number> }; labels: ArrayLike<number> },
  pool: { surrogateScores?: { data: ArrayLike<number> } | undefined; labels: ArrayLike<number> },
): boolean {
  const { surrogateScores, labels } = pool;
  if (surrogateScores === undefined) return false;
  return sameValues(calibration.labels, labels) && sameValues(calibration.scores.data, surrogateScores.data);
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The warning for a calibration set that is the pool itself (`calibratesOnPool`), naming the
 * option or grid key it was given as: one text for every command that fits a surrogate temperature.
 *
 * @example
 * calibrationOnPoolWarning('--calibration-scores'); // '--calibration-scores: the calibration set is the pool itself …'
 */
export function calibrationOnPoolWarning(argument: string): string {
  return `${argument}: the calibration set is the pool itself (the surrogate's scores and the pool's labels): the temperature is fitted on the very labels whose risk is estimated, so the proposal has seen the labels it is tested on, as no real run's has; calibrate on labelled items outside the pool`;
}
