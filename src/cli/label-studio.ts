import { readFile } from 'node:fs/promises';
import { FileFormatError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { unreadableFile } from '../io/unreadable.js';
import { stopIfAborted } from './interrupt.js';
import type { ActiveTestingSession } from '../session/session.js';
import { meantHint } from '../io/suggest.js';

/** The names the exported tasks and the labelling config use: a Text `text` and Choices `label`. */
const FROM_NAME = 'label';
const TO_NAME = 'text';

/** The Label Studio labelling config that matches the exported tasks (print it for the user). */
export function labelStudioConfig(classes: readonly string[]): string {
  const choices = classes.map((name) => `    <Choice value="${escapeXml(name)}"/>`).join('\n');
  return `<View>\n  <Text name="${TO_NAME}" value="$text"/>\n  <Choices name="${FROM_NAME}" toName="${TO_NAME}" choice="single" showInLine="true">\n${choices}\n  </Choices>\n</View>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * How many items `exportLabelStudio` has proposed before it looks for a stop signal again: each
 * proposal is written (and synced) to the session before the next, synchronously, so one call for
 * all of them would hear a signal only after the last (most of a minute for 20,000 items).
 */
const PROPOSE_CHUNK = 256;

/**
 * Writes the session's proposals as Label Studio tasks (JSON), in proposal order: each task's data
 * holds the text and the session's item id and proposal number; labelled items carry their label
 * as an annotation, skipped ones a cancelled annotation. With `open`, the session first proposes
 * items until that many are waiting for a label, so there is something to label in Label Studio.
 * Returns the number of tasks written. Refuses to replace an existing file. Stops once `signal` is
 * aborted, up to the write: the file is then not written, and the proposals made so far stay in
 * the session (at most `PROPOSE_CHUNK` after the signal); a write begun finishes, the file whole.
 *
 * @throws CancelledError when `signal` stopped it before the write.
 */
export async function exportLabelStudio(session: ActiveTestingSession, path: string, open = 0, signal?: AbortSignal): Promise<number> {
  await stopIfAborted(signal);
  // The same draws as one `next(open)`: each call proposes until that many are waiting.
  for (let waiting = 0; waiting < open;) {
    waiting = Math.min(open, waiting + PROPOSE_CHUNK);
    await session.next(waiting);
    await stopIfAborted(signal);
  }
  const tasks = session.history().map((proposal) => ({
    id: proposal.position + 1,
    data: { text: proposal.text, item: proposal.id, position: proposal.position },
    annotations:
      proposal.status === 'pending'
        ? []
        : [
            {
              was_cancelled: proposal.status === 'skipped',
              result:
                proposal.status === 'labelled'
                  ? [{ from_name: FROM_NAME, to_name: TO_NAME, type: 'choices', value: { choices: [proposal.label] } }]
                  : [],
            },
          ],
  }));
  await writeFileAtomic(path, `${JSON.stringify(tasks, null, 1)}\n`);
  return tasks.length;
}

/** One imported answer: a class name, or null for a skip (a cancelled annotation). */
export type Answer = string | null;

interface ExportedResult {
  from_name?: unknown;
  type?: unknown;
  value?: { choices?: unknown };
}

interface ExportedTask {
  data?: { item?: unknown };
  annotations?: ExportedAnnotation[];
  /** What Label Studio before 1.0 called the annotations, in the same form. */
  completions?: ExportedAnnotation[];
}

interface ExportedAnnotation {
  was_cancelled?: unknown;
  result?: ExportedResult[];
}

/**
 * The answer of one exported task, undefined when it has no annotation (`annotations`, or
 * `completions` in exports of Label Studio before 1.0). Each annotation gives one
 * answer: a skip when cancelled, else the single choice of the `label` control (the config
 * `--export` prints; other controls a project adds are left alone). Several annotations (several
 * annotators) must agree: taking one of them would let the order of Label Studio's export decide
 * the label.
 */
/** An answer in a message: a class by its quoted name, a skip as the word, so a class named "skip" is not one. */
function answerText(answer: Answer): string {
  return answer === null ? 'skip' : JSON.stringify(answer);
}

function answerOf(task: ExportedTask, path: string, where: string): Answer | undefined {
  // An export of Label Studio before 1.0 names them completions: read, not passed over as unlabelled.
  const annotations = Array.isArray(task.annotations) ? task.annotations : Array.isArray(task.completions) ? task.completions : [];
  const answers = annotations.map((annotation) => {
    if (annotation?.was_cancelled === true) return null;
    const choices = (Array.isArray(annotation?.result) ? annotation.result : [])
      .filter((r) => r?.type === 'choices' && r.from_name === FROM_NAME)
      .flatMap((r) => (Array.isArray(r.value?.choices) ? r.value.choices : []));
    if (choices.length !== 1 || typeof choices[0] !== 'string')
      throw new FileFormatError(path, `${where}: expected one chosen class in the "${FROM_NAME}" choices, got ${JSON.stringify(choices)}`);
    return choices[0];
  });
  const distinct = [...new Set(answers)];
  if (distinct.length > 1)
    throw new FileFormatError(
      path,
      `${where}: its ${annotations.length} annotations disagree (${distinct.map(answerText).join(', ')}); keep one answer per task; nothing was imported`,
    );
  return distinct[0];
}

/**
 * The text of an export file: UTF-8, the byte-order mark an editor may add left out by the decoder
 * (JSON.parse refuses it), and a file in another encoding (UTF-16) refused as such rather than as
 * bad JSON.
 */
async function readExport(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw unreadableFile(path, error);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FileFormatError(path, 'not UTF-8 text; expected a Label Studio JSON export saved as UTF-8');
  }
}

function parseExport(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(path, `not a Label Studio JSON export (${(error as Error).message})`);
  }
}

/**
 * The session's item id a task names (`data.item`, as `--export` writes it). A task without one is
 * told apart when it is Label Studio's JSON-MIN export (the data's fields, `item` among them, at
 * the top) or names the item by a number: exporting the tasks again would help neither.
 */
function itemOf(task: ExportedTask | null, t: number, path: string): string {
  const item = task?.data?.item;
  if (typeof item === 'string') return item;
  if (task?.data === undefined && typeof task === 'object' && task !== null && 'item' in task)
    throw new FileFormatError(
      path,
      `task ${t} has no data but an item field: this is Label Studio's JSON-MIN export; export the project as JSON`,
    );
  if (typeof item === 'number')
    throw new FileFormatError(path, `task ${t}: data.item is ${item}, a number; expected the item id as --export wrote it, a string`);
  throw new FileFormatError(path, `task ${t}: no data.item (export the tasks with \`active-testing label --export label-studio\`)`);
}

/**
 * The annotations of a Label Studio JSON export to record into the session, by item (null: a
 * skip), read and checked whole without changing the session. Every task must name an item the
 * session proposed (the `item` field the export wrote); items the session already has with the
 * same answer are left out; a different answer is refused.
 */
export async function readLabelStudioAnswers(session: ActiveTestingSession, path: string): Promise<Map<string, Answer>> {
  const tasks = parseExport(await readExport(path), path);
  if (!Array.isArray(tasks)) throw new FileFormatError(path, 'expected a JSON array of tasks (Label Studio "JSON" export)');
  const history = new Map(session.history().map((record) => [record.id, record]));
  const answers = new Map<string, Answer>();
  /** The first task that answered each item: the tasks of an item imported twice into Label Studio must agree, as one task's annotations must. */
  const answeredBy = new Map<string, { task: number; answer: Answer }>();
  const notProposed: string[] = [];
  (tasks as ExportedTask[]).forEach((task, t) => {
    const item = itemOf(task, t, path);
    const answer = answerOf(task, path, `task ${t} (item ${item})`);
    if (answer === undefined) return;
    const earlier = answeredBy.get(item);
    if (earlier === undefined) answeredBy.set(item, { task: t, answer });
    else if (earlier.answer !== answer)
      throw new FileFormatError(
        path,
        `task ${t} (item ${item}): its answer (${answerText(answer)}) disagrees with task ${earlier.task}'s (${answerText(earlier.answer)}) for the same item; keep one answer per item; nothing was imported`,
      );
    const record = history.get(item);
    if (record === undefined) return void notProposed.push(item);
    if (answer !== null && !session.classes.includes(answer))
      throw new FileFormatError(
        path,
        `item ${item}: "${answer}" is not a class (${session.classes.join(', ')})${meantHint(answer, session.classes)}`,
      );
    if (record.status !== 'pending') {
      const had = record.status === 'skipped' ? null : (record.label as string);
      if (had !== answer)
        throw new FileFormatError(
          path,
          `item ${item} is already ${had === null ? 'skipped' : `labelled "${had}"`} in the session, not "${answer ?? 'skip'}"; nothing was imported`,
        );
      return;
    }
    answers.set(item, answer);
  });
  if (notProposed.length > 0) {
    throw new FileFormatError(
      path,
      `the session did not propose ${notProposed.length} annotated item(s) (${notProposed.slice(0, 5).join(', ')}${notProposed.length > 5 ? ', …' : ''}); nothing was imported`,
    );
  }
  return answers;
}

/**
 * Records answers that `readLabelStudioAnswers` checked, in the session's proposal order. Returns
 * how many labels and skips were recorded. Between two answers it lets the event loop run and
 * stops once `signal` is aborted: each answer is written whole, so the one in flight reaches the
 * disk first, and the answers recorded stay (importing the same file again records the rest).
 *
 * @throws CancelledError when `signal` stopped it.
 */
export async function recordLabelStudioAnswers(
  session: ActiveTestingSession,
  answers: ReadonlyMap<string, Answer>,
  signal?: AbortSignal,
): Promise<{ labelled: number; skipped: number }> {
  let labelled = 0;
  let skipped = 0;
  for (const record of session.history()) {
    const answer = answers.get(record.id);
    if (answer === undefined) continue;
    await stopIfAborted(signal);
    if (answer === null) {
      await session.skip(record.id);
      skipped++;
    } else {
      await session.record(record.id, answer);
      labelled++;
    }
  }
  return { labelled, skipped };
}
