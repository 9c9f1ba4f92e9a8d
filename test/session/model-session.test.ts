import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../src/simulate/simulate.js';
import { readTable } from '../../src/dataset/read-table.js';
import { DATASET_PRESETS } from '../../src/dataset/presets.js';
import { itemPrompt, promptPrefix } from '../../src/evaluation/prompt.js';
import { Model } from '../../src/model/index.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { DATA_DIR, sharedAvailable } from '../helpers/shared.js';
import { modelDir } from '../model/fixtures.js';

const SST2_VALIDATION = `${DATA_DIR}/sst2/validation.tsv`;
const POOL = 120;
const LABELS = 30;
const { instruction, answerString, classes } = DATASET_PRESETS.sst2;

/** A committed test model scores SST-2 items: the target zero-shot, the surrogate with 4 ICL shots. */
describe.skipIf(!sharedAvailable(SST2_VALIDATION))('sessions on scores from a test model (tiny-gpt2, SST-2)', () => {
  let model: Model;
  let texts: string[];
  let labels: number[];
  let tokenIds: number[];
  let surrogateScores: Float32Array;
  const zeroShot = (batch: readonly string[]) => batch.map((t) => itemPrompt(instruction, t, answerString));

  beforeAll(async () => {
    const table = await readTable(SST2_VALIDATION);
    const rows = table.rows.slice(0, POOL + 4);
    texts = rows.slice(4).map((r) => String(r[0]));
    labels = rows.slice(4).map((r) => Number(r[1]));
    model = await Model.fromPretrained(modelDir('tiny-gpt2'));
    tokenIds = await model.labelTokenIds(zeroShot([texts[0]])[0], classes);
    const prefix = promptPrefix(
      instruction,
      rows.slice(0, 4).map((r) => ({ text: String(r[0]), label: classes[Number(r[1])] })),
      answerString,
    );
    surrogateScores = await model.score(
      texts.map((t) => itemPrompt(prefix, t, answerString)),
      tokenIds,
    );
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('runs the target only on the labelled items, with the estimates of a session given every score', async () => {
    const scored: string[] = [];
    const scoreTarget = async (batch: readonly string[]) => {
      scored.push(...batch);
      return { data: await model.score(zeroShot(batch), tokenIds), shape: [batch.length, 2] as [number, number] };
    };
    const surrogate = { data: surrogateScores, shape: [POOL, 2] as [number, number] };
    const lazy = await ActiveTestingSession.create(null, {
      texts,
      classes,
      surrogateScores: surrogate,
      scoreTarget,
      acquisition: 'surrogate-pe',
      seed: 1,
    });
    const modelScores = { data: await model.score(zeroShot(texts), tokenIds), shape: [POOL, 2] as [number, number] };
    const eager = await ActiveTestingSession.create(null, {
      texts,
      classes,
      modelScores,
      surrogateScores: surrogate,
      acquisition: 'surrogate-pe',
      seed: 1,
    });
    for (const session of [lazy, eager]) {
      for (let m = 0; m < LABELS; m++) {
        const [item] = await session.next();
        await session.record(item.id, labels[item.index]);
      }
    }
    expect(scored).toEqual(lazy.history().map((h) => h.text));
    expect(scored).toHaveLength(LABELS);
    const [a, b] = [lazy.estimate(), eager.estimate()];
    expect(a.labels).toBe(LABELS);
    expect(a.risk.value).toBeCloseTo(b.risk.value, 5);
    expect(a.risk.standardError).toBeCloseTo(b.risk.standardError, 5);
    expect(a.accuracy.value).toBe(b.accuracy.value);
  });

  it("reproduces simulate's estimate exactly when driven with the true labels (surrogate-ce)", async () => {
    const modelScores = { data: await model.score(zeroShot(texts), tokenIds), shape: [POOL, 2] as [number, number] };
    const surrogate = { data: surrogateScores, shape: [POOL, 2] as [number, number] };
    const result = await simulate(
      { modelScores: modelScores, surrogateScores: surrogate, labels },
      { runs: 1, size: LABELS, seed: 5, threads: 1 },
    );
    const session = await ActiveTestingSession.create(null, { texts, classes, modelScores, surrogateScores: surrogate, seed: 5 });
    for (let m = 0; m < LABELS; m++) {
      const [item] = await session.next();
      expect(item.index).toBe(result.samples[m]);
      await session.record(item.id, labels[item.index]);
      expect(session.estimate().risk.value).toBe(result.estimates[m]);
    }
  });
});
