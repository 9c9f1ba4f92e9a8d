import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fetchHubTable, parseHubSpec } from '../dataset/hub.js';
import { readTable } from '../dataset/read-table.js';
import { TextClassificationDataset, type DatasetSpec } from '../dataset/text-classification-dataset.js';
import { CancelledError, InputError, OutputExistsError, UsageError } from '../errors.js';
import { ScoreCheckpoint } from './checkpoint.js';
import { selectIclExamples } from './icl.js';
import { runScoringJob } from './scoring-job.js';
import { writeOutputFolder } from '../io/atomic.js';
import { encodeNpy } from '../io/npy.js';
import { Model } from '../model/model.js';
import { OPENAI_CLI_HELP, OPENAI_CLI_OPTIONS, openAIBackendFromCli, remoteProgressReporter } from '../cli/openai-backend.js';
import { isOpenAIModelSpec } from '../model/backends/openaiTarget.js';
import { VERSION } from '../version.js';
import type { Command } from '../cli/command.js';
import { choiceOption, flag, integerOption, parseOptions, requiredString, type OptionValues } from '../cli/options.js';
import { progressBar } from '../cli/progress.js';

const OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string' },
  classes: { type: 'string' },
  instruction: { type: 'string' },
  'instruction-file': { type: 'string' },
  'answer-string': { type: 'string' },
  'text-column': { type: 'string' },
  'label-column': { type: 'string' },
  limit: { type: 'string' },
  'icl-examples': { type: 'string' },
  'icl-data': { type: 'string' },
  'icl-seed': { type: 'string' },
  'no-prefix-cache': { type: 'boolean' },
  'batch-size': { type: 'string' },
  device: { type: 'string' },
  dtype: { type: 'string' },
  force: { type: 'boolean' },
  out: { type: 'string' },
  ...OPENAI_CLI_OPTIONS,
} as const;

const DEVICES = ['cpu', 'cuda', 'auto'] as const;
const OUTPUT_FILES = ['scores.npy', 'labels.npy', 'meta.json'] as const;
const CHECKPOINT = '.evaluate';

const HELP = `Usage: active-testing evaluate --model <id|dir> --data <file|hub:name[:config][:split]>
                                --classes negative,positive --out DIR [options]

Scores every row of a labelled text-classification dataset with a causal LM: the raw logits of
the class names' first tokens after the prompt. The outputs feed \`active-testing simulate\`.

Model and data:
  --model ID|DIR          a folder in the transformers.js layout (config.json, tokenizer.json,
                          tokenizer_config.json, onnx/model.onnx) or a Hugging Face Hub id,
                          or openai:<base URL>#<model name> for a served model (see below)
  --data FILE|hub:...     a .tsv, .csv or .jsonl file, or hub:name[:config][:split] (needs internet)
  --classes A,B,...       class names in label-id order; the label column holds ids or these names
  --text-column NAME      default sentence
  --label-column NAME     default label
  --limit N               keep the first N rows

Prompt (the reference's template: instruction, shots, then "Sentence: '<text>' \\n<answer>:"):
  --instruction TEXT      used verbatim (a real newline in the argument stays a newline); default none
  --instruction-file F    the instruction read from a file
  --answer-string S       default Label

In-context examples (the surrogate of the paper):
  --icl-examples N        N shots, per class in proportion to the class frequencies, shuffled once
  --icl-data FILE         where shots come from (default: --data, and the shots' rows leave the pool)
  --icl-seed S            seed of the shot selection (default 0)
  --no-prefix-cache       re-encode the instruction and shots for every item (same results, slower)

Running:
  --batch-size N          items per forward pass (default 16)
  --device cpu|cuda|auto  default cpu
  --dtype fp32|fp16|q8|…  weight precision as transformers.js names it (default fp32)
  --out DIR               output folder
  --force                 replace results made with another configuration

${OPENAI_CLI_HELP}

Outputs in DIR: scores.npy (N×K float32 raw label logits, rows in dataset order after removing
ICL rows), labels.npy (N int32) and meta.json (accuracy, loss, classes, label_token_ids,
first_prompt, icl_rows, timings, config, version). Rerunning the same command on the same DIR
resumes an interrupted run; a different configuration is refused unless --force.`;

/** What determines the results; a rerun with the same configuration resumes or finds them done. */
interface EvaluateConfig {
  model: string;
  dtype: string;
  data: string;
  classes: string[];
  instruction: string;
  answer_string: string;
  text_column: string;
  label_column: string;
  limit: number | null;
  icl_examples: number;
  icl_data: string | null;
  icl_seed: number;
}

async function readConfig(values: OptionValues): Promise<EvaluateConfig> {
  const classes = requiredString(values, 'classes').split(',').map((c) => c.trim());
  if (classes.length < 2 || classes.some((c) => c === '')) throw new UsageError('--classes: expected at least two comma-separated class names');
  if (values['instruction'] !== undefined && values['instruction-file'] !== undefined) throw new UsageError('give --instruction or --instruction-file, not both');
  let instruction = (values['instruction'] as string | undefined) ?? '';
  const instructionFile = values['instruction-file'] as string | undefined;
  if (instructionFile !== undefined) {
    try {
      instruction = await readFile(instructionFile, 'utf8');
    } catch (error) {
      throw new InputError({ argument: '--instruction-file', expected: 'a readable file', received: `${instructionFile} (${(error as Error).message})` });
    }
  }
  const limit = integerOption(values, 'limit') ?? null;
  if (limit !== null && limit < 1) throw new UsageError('--limit: expected a positive integer');
  const iclExamples = integerOption(values, 'icl-examples') ?? 0;
  if (iclExamples < 0) throw new UsageError('--icl-examples: expected a non-negative integer');
  const iclData = (values['icl-data'] as string | undefined) ?? null;
  if (iclData !== null && iclExamples === 0) throw new UsageError('--icl-data needs --icl-examples');
  const model = requiredString(values, 'model');
  const data = requiredString(values, 'data');
  return {
    model: existsSync(model) ? resolve(model) : model,
    dtype: (values['dtype'] as string | undefined) ?? 'fp32',
    data: data.startsWith('hub:') ? data : resolve(data),
    classes,
    instruction,
    answer_string: (values['answer-string'] as string | undefined) ?? 'Label',
    text_column: (values['text-column'] as string | undefined) ?? 'sentence',
    label_column: (values['label-column'] as string | undefined) ?? 'label',
    limit,
    icl_examples: iclExamples,
    icl_data: iclData === null || iclData.startsWith('hub:') ? iclData : resolve(iclData),
    icl_seed: integerOption(values, 'icl-seed') ?? 0,
  };
}

async function loadData(source: string, config: EvaluateConfig, limit: number | null): Promise<TextClassificationDataset> {
  const spec: DatasetSpec = { name: 'data', classes: config.classes, answerString: config.answer_string, instruction: config.instruction };
  const columns = { textColumn: config.text_column, labelColumn: config.label_column, ...(limit === null ? {} : { limit }) };
  const table = source.startsWith('hub:') ? await fetchHubTable(parseHubSpec(source), limit ?? undefined) : await readTable(source);
  return TextClassificationDataset.fromTable(table, spec, columns);
}

/** Refuses results or a checkpoint of another configuration unless `force` (then removes them); true when this configuration's results are complete. */
async function checkOutputFolder(out: string, config: EvaluateConfig, force: boolean): Promise<boolean> {
  const metaPath = join(out, 'meta.json');
  const same = (other: unknown) => JSON.stringify(other) === JSON.stringify(config);
  if (existsSync(metaPath)) {
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { config?: unknown };
    if (same(meta.config) && !force) return true;
    if (!force) throw new OutputExistsError(metaPath, 'it holds results of another configuration; pass --force to replace them');
  }
  const pending = await ScoreCheckpoint.pendingConfig(join(out, CHECKPOINT));
  if (pending !== null && !same(pending)) {
    if (!force) throw new OutputExistsError(join(out, `${CHECKPOINT}.partial.json`), 'an unfinished run of another configuration is there; pass --force to discard it');
    await ScoreCheckpoint.discard(join(out, CHECKPOINT));
  }
  return false;
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Score a labelled dataset with an LLM (label-token logits, zero-shot or ICL)',
  help: HELP,
  async run(argv) {
    const values = parseOptions(argv, OPTIONS);
    const config = await readConfig(values);
    const out = requiredString(values, 'out');
    const batchSize = integerOption(values, 'batch-size') ?? 16;
    if (batchSize < 1) throw new UsageError('--batch-size: expected a positive integer');
    const device = choiceOption(values, 'device', DEVICES) ?? 'cpu';
    const force = flag(values, 'force');
    const prefixCache = !flag(values, 'no-prefix-cache');

    if (await checkOutputFolder(out, config, force)) {
      console.log(`${out}: results of this configuration are already complete`);
      return 0;
    }

    // Everything that can fail on bad input happens before the first file is written.
    const data = await loadData(config.data, config, config.limit);
    let pool = data;
    let shots: Array<{ text: string; label: number }> = [];
    let iclRows: number[] = [];
    if (config.icl_examples > 0) {
      const iclSource = config.icl_data === null ? data : await loadData(config.icl_data, config, null);
      iclRows = Array.from(selectIclExamples(iclSource.labels, config.classes.length, config.icl_examples, config.icl_seed));
      shots = iclRows.map((row) => ({ text: iclSource.texts[row] as string, label: iclSource.labels[row] as number }));
      if (config.icl_data === null) {
        const taken = new Set(iclRows);
        pool = data.select(Array.from({ length: data.size }, (_, i) => i).filter((i) => !taken.has(i)));
      }
    }
    if (pool.size === 0) throw new InputError({ argument: '--data', expected: 'rows left to score after removing the ICL examples', received: data.size });

    const loadStarted = performance.now();
    const remote = isOpenAIModelSpec(config.model)
      ? openAIBackendFromCli(config.model, values, (n) => console.error(`${n.url}: ${n.reason}; retry ${n.attempt} in ${(n.delayMs / 1000).toFixed(1)} s`))
      : null;
    const model = remote ? new Model(remote) : await Model.fromPretrained(config.model, { device, dtype: config.dtype });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    const progress = remote ? remoteProgressReporter(remote) : progressBar({ label: 'items' });
    try {
      const result = await runScoringJob(model, pool, {
        shots,
        batchSize,
        prefixCache,
        signal: controller.signal,
        onProgress: ({ done, total }) => progress.update(done, total),
        checkpoint: { base: join(out, CHECKPOINT), config },
      });
      progress.finish();
      const k = config.classes.length;
      const meta = {
        accuracy: result.accuracy,
        loss: result.loss,
        n: pool.size,
        classes: config.classes,
        label_token_ids: result.labelTokenIds,
        first_prompt: result.firstPrompt,
        icl_rows: iclRows,
        timings: { load_seconds: loadSeconds, scoring_seconds: result.timings.scoringSeconds, items_per_second: result.timings.itemsPerSecond, items_scored_now: result.scoredNow },
        config,
        run: { batch_size: batchSize, device, prefix_cache: prefixCache },
        version: VERSION,
      };
      await writeOutputFolder(out, [
        { name: 'scores.npy', data: encodeNpy({ data: result.scores, shape: [pool.size, k], dtype: 'f4' }) },
        { name: 'labels.npy', data: encodeNpy({ data: Int32Array.from(pool.labels), shape: [pool.size], dtype: 'i4' }) },
        { name: 'meta.json', data: `${JSON.stringify(meta, null, 2)}\n` },
      ], { force, managed: OUTPUT_FILES });
      await ScoreCheckpoint.discard(join(out, CHECKPOINT));
      console.log(`${pool.size} items: accuracy ${result.accuracy.toFixed(4)}, loss ${result.loss.toFixed(4)} -> ${out}`);
      return 0;
    } catch (error) {
      progress.finish();
      if (error instanceof CancelledError) throw new CancelledError(`${error.message}; rerun the same command to resume`);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      await model.dispose();
    }
  },
};
