import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { evaluateToFolder, type EvaluateConfig, type EvaluateRun } from '../evaluation/evaluate.js';
import type { OpenAIBackend } from '../model/backends/openai.js';
import { isOpenAIModelSpec } from '../model/backends/openaiTarget.js';
import { MODEL_DTYPES } from '../model/transformers-backend.js';
import { assertFolderWritable } from '../io/atomic.js';
import type { Command } from './command.js';
import { OPENAI_CLI_HELP, OPENAI_CLI_OPTIONS, openAIBackendFromCli, remoteProgressReporter } from './openai-backend.js';
import { choiceOption, flag, integerOption, parseOptions, requiredString, type OptionValues } from './options.js';
import { progressBar, type ProgressReporter } from './progress.js';

export const EVALUATE_OPTIONS = {
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
  --dtype D               weight precision: ${MODEL_DTYPES.join(' | ')} (default fp32)
  --out DIR               output folder
  --force                 replace results made with another configuration

${OPENAI_CLI_HELP}

Outputs in DIR: scores.npy (N×K float32 raw label logits, rows in dataset order after removing
ICL rows), labels.npy (N int32) and meta.json (accuracy, loss, classes, label_token_ids,
first_prompt, icl_rows, timings, config, version). Rerunning the same command on the same DIR
resumes an interrupted run; a different configuration is refused unless --force.`;

/** An evaluation's configuration and run settings from `evaluate`'s option values (as `parseOptions` returns them); `--out` is required. */
export async function readEvaluateOptions(
  values: OptionValues,
): Promise<{ config: EvaluateConfig; run: EvaluateRun; remote?: OpenAIBackend }> {
  const config = await readConfig(values);
  const batchSize = integerOption(values, 'batch-size') ?? 16;
  if (batchSize < 1) throw new UsageError('--batch-size: expected a positive integer');
  const out = requiredString(values, 'out');
  await assertFolderWritable(out, '--out');
  const run: EvaluateRun = {
    out,
    batchSize,
    device: choiceOption(values, 'device', DEVICES) ?? 'cpu',
    force: flag(values, 'force'),
    prefixCache: !flag(values, 'no-prefix-cache'),
  };
  if (!isOpenAIModelSpec(config.model)) return { config, run };
  const remote = openAIBackendFromCli(config.model, values, (n) =>
    console.error(`${n.url}: ${n.reason}; retry ${n.attempt} in ${(n.delayMs / 1000).toFixed(1)} s`),
  );
  return { config, run: { ...run, backend: remote }, remote };
}

async function readConfig(values: OptionValues): Promise<EvaluateConfig> {
  const classes = requiredString(values, 'classes')
    .split(',')
    .map((c) => c.trim());
  if (classes.length < 2 || classes.some((c) => c === ''))
    throw new UsageError('--classes: expected at least two comma-separated class names');
  if (values['instruction'] !== undefined && values['instruction-file'] !== undefined)
    throw new UsageError('give --instruction or --instruction-file, not both');
  let instruction = (values['instruction'] as string | undefined) ?? '';
  const instructionFile = values['instruction-file'] as string | undefined;
  if (instructionFile !== undefined) {
    try {
      instruction = await readFile(instructionFile, 'utf8');
    } catch (error) {
      throw new InputError({
        argument: '--instruction-file',
        expected: 'a readable file',
        received: `${instructionFile} (${(error as Error).message})`,
      });
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
    dtype: choiceOption(values, 'dtype', MODEL_DTYPES) ?? 'fp32',
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

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Score a labelled dataset with an LLM (label-token logits, zero-shot or ICL)',
  help: HELP,
  async run(argv) {
    const { config, run, remote } = await readEvaluateOptions(parseOptions(argv, EVALUATE_OPTIONS));
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    const progress: ProgressReporter = remote ? remoteProgressReporter(remote) : progressBar({ label: 'items' });
    try {
      const outcome = await evaluateToFolder(config, {
        ...run,
        signal: controller.signal,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.finish();
      if (outcome.alreadyComplete) console.log(`${run.out}: results of this configuration are already complete`);
      else console.log(`${outcome.n} items: accuracy ${outcome.accuracy.toFixed(4)}, loss ${outcome.loss.toFixed(4)} -> ${run.out}`);
      return 0;
    } catch (error) {
      progress.finish();
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};
