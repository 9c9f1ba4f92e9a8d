import { InputError } from '../errors.js';
import { readNpy } from '../io/npy.js';
import { labelIndices, ofFileRows, scoresMatrix } from '../io/pool-files.js';
import { checkObject } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';

/**
 * Reads a held-out calibration set from `.npy` files (surrogate scores N×K, labels as indices or
 * one-hot), checked as the pool's files are; errors name the files by `names`, by default the
 * option keys `calibration.scores`/`calibration.labels` (the command line passes its flags, a grid
 * `surrogates.g.calibration.scores`, ...).
 * With `classCount`, the pool's number of classes, the scores must have that many columns, checked
 * before the labels: scores of another width would otherwise have correct labels refused as out
 * of range.
 *
 * @example
 * const calibration = await loadCalibrationSet('g_heldout.npy', 'y_heldout.npy');
 * await simulate(pool, { acquisition: 'adaptive', calibration });
 * @throws {InputError} naming the scores when they have other than `classCount` columns.
 */
export async function loadCalibrationSet(
  scoresPath: string,
  labelsPath: string,
  names: { scores: string; labels: string } = { scores: 'calibration.scores', labels: 'calibration.labels' },
  classCount?: number,
): Promise<{ scores: { data: Float64Array; shape: [number, number] }; labels: Int32Array }> {
  // Before the files: a misspelt name would otherwise leave the errors about them named undefined.
  checkKnownKeys(names, ['scores', 'labels'], 'names');
  const scoresArray = await readNpy(scoresPath, names.scores);
  const scores = ofFileRows(scoresPath, names.scores, () => scoresMatrix(scoresArray, names.scores));
  if (classCount !== undefined && scores.cols !== classCount) {
    throw new InputError({
      argument: names.scores,
      expected: `scores with ${classCount} columns, one per class of the pool`,
      received: scores.cols,
    });
  }
  const labelsArray = await readNpy(labelsPath, names.labels);
  const labels = ofFileRows(labelsPath, names.labels, () => labelIndices(labelsArray, names.labels, scores.rows, scores.cols));
  return { scores: { data: scores.data, shape: [scores.rows, scores.cols] }, labels };
}

/**
 * Refuses a calibration set that is not `{ scores, labels }`, naming an unknown key with the one
 * it misspells (`calibration.score`), rather than saying that `calibration.scores` is missing.
 *
 * @throws {InputError} when `calibration` is not an object or has another key.
 * @example
 * checkCalibrationKeys({ score: g, labels: y }); // InputError: calibration.score: expected a known option, did you mean scores? …
 */
export function checkCalibrationKeys(calibration: unknown): void {
  checkObject(calibration, 'calibration', 'a held-out calibration set { scores, labels }');
  checkKnownKeys(calibration, ['scores', 'labels'], 'calibration');
}
