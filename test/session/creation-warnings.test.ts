import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';

const probabilities = Float64Array.of(0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7);
const logits = probabilities.map(Math.log);
const pool = (scores: Float64Array) => ({ data: scores, rows: 4, cols: 2 });
const base: CreateSessionOptions = {
  texts: ['a', 'b', 'c', 'd'],
  classes: ['negative', 'positive'],
  modelScores: pool(logits),
  surrogateScores: pool(logits),
  acquisition: 'surrogate-ce',
};
const probabilitiesWarning = (argument: string): string =>
  `${argument}: every row is in [0, 1] and sums to 1, as probabilities do; scores are read as logits (a softmax is applied), so pass log-probabilities instead, floored where p is 0 (np.log(np.maximum(p, 1e-12))): −Infinity is refused`;

async function warningsOf(options: CreateSessionOptions): Promise<string[]> {
  const warnings: string[] = [];
  await ActiveTestingSession.create(null, { ...options, onWarning: (message) => warnings.push(message) });
  return warnings;
}

describe('a new session warns of inputs that are valid but most likely not meant', () => {
  it('names each score matrix whose rows are probabilities, by its key', async () => {
    expect(await warningsOf(base)).toEqual([]);
    expect(await warningsOf({ ...base, surrogateScores: pool(probabilities) })).toEqual([probabilitiesWarning('surrogateScores')]);
    expect(
      await warningsOf({ ...base, modelScores: pool(probabilities), comparisonScores: pool(probabilities), acquisition: 'iid' }),
    ).toEqual([probabilitiesWarning('modelScores'), probabilitiesWarning('comparisonScores')]);
  });

  it('warns of calibration scores that are probabilities, and of the fit they leave at its bound', async () => {
    const calibration = { scores: pool(probabilities), labels: [0, 1, 0, 1] };
    expect(await warningsOf({ ...base, calibration })).toEqual([
      probabilitiesWarning('calibration.scores'),
      'calibration: the surrogate temperature T = 0.02 is the end of its search range [0.02, 50], not a fitted value: the likelihood still rises as T falls below it: the surrogate ranks (nearly) every calibration label first; more or harder calibration labels would fit it',
    ]);
  });

  it('sends them to process warnings by default, and none for a session it refuses', async () => {
    const emitted: string[] = [];
    const listener = (warning: Error): void => void emitted.push(`${warning.name}: ${warning.message}`);
    process.on('warning', listener);
    try {
      await ActiveTestingSession.create(null, { ...base, modelScores: pool(probabilities) });
      await expect(ActiveTestingSession.create(null, { ...base, modelScores: pool(probabilities), clip: 0 })).rejects.toThrow(/clip/);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(emitted).toEqual([`ActiveTestingSessionWarning: ${probabilitiesWarning('modelScores')}`]);
  });
});

describe('an onWarning that throws (warnings taken as errors)', () => {
  it('refuses the session and leaves no file or lock behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'at-warn-'));
    const path = join(dir, 'x.session');
    const options = { ...base, modelScores: pool(probabilities) };
    const strict = (message: string): never => {
      throw new Error(message);
    };
    await expect(ActiveTestingSession.create(path, { ...options, onWarning: strict })).rejects.toThrow(/^modelScores: every row/);
    expect(readdirSync(dir)).toEqual([]);
    // The same call without it creates the session.
    await (await ActiveTestingSession.create(path, { ...options, onWarning: () => {} })).close();
    expect(readdirSync(dir)).toEqual(['x.session']);
  });
});
