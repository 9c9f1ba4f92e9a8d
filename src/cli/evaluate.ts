import { evaluateToFolder, hasScoredCheckpoint, outcomeWarnings, withScoredKeptHint } from '../evaluation/evaluate.js';
import { resolveEvaluateOptions, type EvaluateOptions } from '../evaluation/evaluate-options.js';
import { optionHelp } from '../options/schema.js';
import { assertFolderWritable } from '../io/atomic.js';
import { assertOutsideOtherResults } from '../report/results-around.js';
import { type Command, FINISHING_EXIT_CODES_HELP } from './command.js';
import { commandNaming } from './naming.js';
import { remoteProgressReporter } from './openai-backend.js';
import { checkRequired, commandFlags, commandValues, parseOptions, schemaValues } from './options.js';
import { progressBar, type ProgressReporter } from './progress.js';
import { withInterrupts } from './interrupt.js';
import { formatCount } from '../io/format-count.js';

const help = (names: readonly string[]) => optionHelp('evaluate', 26, names).join('\n');

const HELP = `Usage: active-testing evaluate --model <id|dir> --data <file|hub:name[:config][:split]>
                                --classes negative,positive --out DIR [options]

Scores every row of a labelled text-classification dataset with a causal LM: the raw logits of
the class names' first tokens after the prompt. The outputs feed \`active-testing simulate\`.

Model and data:
${help(['model', 'data', 'classes', 'textColumn', 'labelColumn', 'limit'])}

Prompt (the reference's template: instruction, shots, then "Sentence: '<text>' \\n<answer>:"):
${help(['instruction', 'instructionFile', 'answerString'])}

In-context examples (the surrogate of the paper):
${help(['iclExamples', 'iclData', 'iclSeed', 'noPrefixCache'])}

Running:
${help(['batchSize', 'device', 'dtype', 'prefixCacheMemoryLimit', 'out', 'force'])}

Inference servers (--model openai:http://host:port/v1#model-name):
${help(['apiKeyEnv', 'openaiMode', 'topLogprobs', 'missingLabel', 'concurrency', 'requestTimeout', 'maxRetries', 'maxRetryDelay'])}

Outputs in DIR: scores.npy (N×K float32 raw label logits, rows in dataset order after removing
ICL rows), labels.npy (N int32) and meta.json (n, accuracy, loss, floored_labels, classes,
label_token_ids, label_token_counts, first_prompt, icl_rows, timings, config, run, version).
Rerunning the same command on the same DIR resumes an interrupted run; a different configuration
(a served model's --openai-mode, --top-logprobs and --missing-label included) is refused unless
--force.

${FINISHING_EXIT_CODES_HELP}`;

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'Score a labelled dataset with an LLM (label-token logits, zero-shot or ICL)',
  help: HELP,
  async run(argv) {
    const given = commandValues(parseOptions(argv, commandFlags('evaluate')), 'evaluate');
    checkRequired(given, ['model', 'data', 'classes', 'out']);
    const out = given.out as string;
    await assertFolderWritable(out, '--out');
    assertOutsideOtherResults(out, '--out');
    const { config, run, remote } = await resolveEvaluateOptions(schemaValues(given, 'evaluate') as unknown as EvaluateOptions, (n) =>
      console.error(`${n.url}: ${n.reason}; retry ${n.attempt} in ${n.delay.toFixed(1)} s`),
    );
    const progress: ProgressReporter = remote ? remoteProgressReporter(remote) : progressBar({ label: 'items' });
    // The items scored so far, checkpoint included: each report comes after its batch was saved to the checkpoint.
    let scored: { done: number; total: number } | undefined;
    const outcome = await withInterrupts(
      // A progress report follows every checkpoint write; a checkpoint of an earlier run is there before any report.
      () =>
        (scored !== undefined && scored.done > 0) || hasScoredCheckpoint(out)
          ? 'run the same command again to resume from its last checkpoint'
          : 'nothing was scored yet; run the same command again to start',
      (signal) =>
        evaluateToFolder(config, {
          ...run,
          out,
          force: given.force === true,
          naming: commandNaming('evaluate'),
          signal,
          onProgress: (done, total) => {
            scored = { done, total };
            progress.update(done, total);
          },
        }).catch((error: unknown) => {
          throw withScoredKeptHint(error, scored, out);
        }),
      () => (scored === undefined ? undefined : `after ${scored.done} of ${formatCount(scored.total, 'item')}`),
    ).finally(() => progress.finish());
    // Counted over the whole run: a resumed run's earlier part is kept in its checkpoint, finished results in meta.json.
    for (const warning of outcomeWarnings(outcome, commandNaming('evaluate'))) console.error(`warning: ${warning}`);
    if (outcome.alreadyComplete) console.log(`${out}: results of this configuration are already complete`);
    else
      console.log(`${formatCount(outcome.n, 'item')}: accuracy ${outcome.accuracy.toFixed(4)}, loss ${outcome.loss.toFixed(4)} -> ${out}`);
    return 0;
  },
};
