import { readNpy } from '../io/npy.js';
import type { LabelsInput, MatrixInput } from '../matrix.js';
import { labelIndices, scoresMatrix } from '../io/pool-files.js';

/**
 * Reads a held-out calibration set from `.npy` files (surrogate scores N×K, labels as indices or
 * one-hot), checked as the pool's files are; errors name `--calibration-scores`/`--calibration-labels`.
 *
 * @example
 * const calibration = await loadCalibrationSet('g_heldout.npy', 'y_heldout.npy');
 * await simulate(pool, { acquisition: 'adaptive', calibration });
 */
export async function loadCalibrationSet(scoresPath: string, labelsPath: string): Promise<{ scores: MatrixInput; labels: LabelsInput }> {
  const scores = scoresMatrix(await readNpy(scoresPath), '--calibration-scores');
  const labels = labelIndices(await readNpy(labelsPath), '--calibration-labels', scores.rows, scores.cols);
  return { scores: { data: scores.data, shape: [scores.rows, scores.cols] }, labels };
}
