// ICL scoring benchmark (`npm run bench`): prefix caching against scoring every prompt whole.
//
// A 50-shot SST-2 surrogate prompt (shots drawn from ../shared/data/sst2/train.tsv as the
// library draws them: per class in proportion, shuffled once) scored on 500 pool items from
// the validation split with a committed test model, once re-encoding the instruction and shots
// for every item and once from their key/value cache, side by side. Prints time, items/s,
// tokens run through the model per item, the speed-up, and the largest difference between the
// two score matrices. Environment: ACTIVE_TESTING_SHARED (default ../shared), BENCH_ICL_MODEL
// (default test/models/tiny-llama), BENCH_ICL_ITEMS (default 500), BENCH_ICL_BATCH (default 8).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model, SST2Dataset, itemPrompt, promptPrefix, selectIclExamples } from '../dist/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(repoRoot, process.env.ACTIVE_TESTING_SHARED ?? '../shared', 'data/sst2');
const modelPath = resolve(repoRoot, process.env.BENCH_ICL_MODEL ?? 'test/models/tiny-llama');
const items = Number(process.env.BENCH_ICL_ITEMS ?? 500);
const batchSize = Number(process.env.BENCH_ICL_BATCH ?? 8);
const SHOTS = 50;
const REQUIRED_SPEEDUP = 5;

if (!existsSync(dataDir)) {
  console.log(`ICL benchmark skipped: ${dataDir} not found (set ACTIVE_TESTING_SHARED)`);
  process.exit(0);
}

const train = await SST2Dataset.load(join(dataDir, 'train.tsv'));
const validation = await SST2Dataset.load(join(dataDir, 'validation.tsv'), { limit: items });
const shotRows = selectIclExamples(train.labels, 2, SHOTS, 0);
const shots = Array.from(shotRows, (row) => ({ text: train.texts[row], label: train.classes[train.labels[row]] }));
const prefix = promptPrefix(train.instruction, shots, train.answerString);
const prompts = validation.texts.map((text) => itemPrompt(prefix, text, train.answerString));

const model = await Model.fromPretrained(modelPath);
/** The transformers.js backend, which counts the tokens it encodes. */
const backend = /** @type {import('../src/model/transformers-backend.js').TransformersBackend} */ (model.backend);
const labelIds = await model.labelTokenIds(prompts[0], train.classes);
const prefixTokens = (await model.backend.tokenize(prefix)).length;
await model.score(prompts.slice(0, batchSize), labelIds, { batchSize, sharedPrefix: prefix }); // warm-up

async function run(name, options) {
  const tokensBefore = backend.tokensProcessed;
  const start = process.hrtime.bigint();
  const scores = await model.score(prompts, labelIds, { batchSize, ...options });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const tokensPerItem = (backend.tokensProcessed - tokensBefore) / prompts.length;
  return { name, seconds, scores, tokensPerItem };
}

const uncached = await run('uncached (re-encode prefix)', {});
const cached = await run('prefix cache', { sharedPrefix: prefix });

let maxDiff = 0;
for (let i = 0; i < cached.scores.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cached.scores[i] - uncached.scores[i]));
const speedup = uncached.seconds / cached.seconds;

console.log(
  `\nICL scoring: ${SHOTS} shots (prefix ${prefixTokens} tokens), ${prompts.length} SST-2 items, batch ${batchSize}, model ${modelPath}`,
);
console.log('mode                          seconds   items/s   tokens/item');
for (const r of [uncached, cached]) {
  console.log(
    `${r.name.padEnd(28)} ${r.seconds.toFixed(2).padStart(8)} ${(prompts.length / r.seconds).toFixed(1).padStart(9)} ${r.tokensPerItem.toFixed(1).padStart(13)}`,
  );
}
console.log(
  `speed-up ${speedup.toFixed(1)}x (required >= ${REQUIRED_SPEEDUP}x); max |cached - uncached| = ${maxDiff.toExponential(2)} (required < 1e-4)`,
);
await model.dispose();
if (speedup < REQUIRED_SPEEDUP || !(maxDiff < 1e-4)) process.exitCode = 1;
