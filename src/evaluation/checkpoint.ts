import { existsSync } from 'node:fs';
import { open, readFile, rm, stat, truncate } from 'node:fs/promises';
import { FileFormatError, OutputExistsError, passForce } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { faultPoint } from '../io/fault.js';
import { formatCount } from '../io/format-count.js';

/**
 * Scores of an unfinished run, kept on disk batch by batch so that a crash loses at most one
 * batch: `<base>.partial.json` records the run's configuration, `<base>.partial.f32` holds the
 * finished rows (float32, row-major), appended and flushed after each batch, and
 * `<base>.partial.floored` which of their scores were floored (one byte per score, 1 where
 * floored), appended and flushed before the batch's rows, so that it covers every row on disk.
 * `<base>.partial.tokens.json` holds the label token ids the rows were scored with.
 */
export class ScoreCheckpoint {
  private constructor(
    readonly base: string,
    readonly cols: number,
    /** Rows already on disk. */
    readonly rows: Float32Array,
    /** Which of `rows`' scores were floored (see `ScoreBatchOptions.onFloored`), one byte per score. */
    readonly floored: Uint8Array,
  ) {}

  /**
   * The configuration an unfinished run at `base` was started with, or null when there is none or
   * it has scored nothing yet: a run that failed before its first batch (a prompt too long for the
   * model, say) leaves nothing to resume or to lose, so it does not stand in the way of another
   * configuration. A configuration that cannot be read is refused, unless `discardUnreadable`,
   * which removes the checkpoint (its scores cannot be told to be this run's) and gives null.
   *
   * @throws {FileFormatError} naming `<base>.partial.json` when it is not JSON.
   */
  static async pendingConfig(base: string, discardUnreadable = false): Promise<unknown | null> {
    if (!existsSync(`${base}.partial.json`)) return null;
    const data = `${base}.partial.f32`;
    if (!existsSync(data) || (await stat(data)).size === 0) return null;
    try {
      return JSON.parse(await readFile(`${base}.partial.json`, 'utf8')) as unknown;
    } catch (error) {
      if (discardUnreadable) {
        await ScoreCheckpoint.discard(base);
        return null;
      }
      throw new FileFormatError(
        `${base}.partial.json`,
        (naming) => `unreadable checkpoint (not JSON); remove it, or ${passForce(naming, 'start fresh')}`,
      );
    }
  }

  /**
   * Opens the checkpoint at `base` for a run of `items` rows with this configuration: resumes
   * when an unfinished run with an identical configuration is there, otherwise starts afresh,
   * replacing any other checkpoint. A resumed run keeps whole batches of `batchSize` rows from the
   * start (or every row, when all are there): resuming inside a batch that a kill cut short would
   * shift every later batch, and an item's scores depend on its batch in their last bits, so the
   * results would not be an uninterrupted run's; rows whose floored marks are not all on disk are
   * scored again. A checkpoint with more rows
   * than `items` cannot be this run's alone (two runs appended to it at once) and is refused, as
   * is one whose configuration cannot be read, unless `discardUnfit`, which starts afresh instead.
   * So is one scored with other `labelTokenIds`: the same configuration naming a served model
   * whose server now tokenizes otherwise, another model behind the same name.
   *
   * @throws {FileFormatError} naming `<base>.partial.f32` when it holds more than `items` rows.
   * @throws {OutputExistsError} naming `<base>.partial.tokens.json` when its rows were scored with
   *   other label token ids.
   */
  static async open(
    base: string,
    config: unknown,
    items: number,
    labelTokenIds: readonly number[],
    discardUnfit = false,
    batchSize = 1,
  ): Promise<ScoreCheckpoint> {
    const pending = await ScoreCheckpoint.pendingConfig(base, discardUnfit);
    const cols = labelTokenIds.length;
    const data = `${base}.partial.f32`;
    const marks = `${base}.partial.floored`;
    const tokens = `${base}.partial.tokens.json`;
    if (pending !== null && JSON.stringify(pending) === JSON.stringify(config) && existsSync(data)) {
      const scored = Math.floor((await stat(data)).size / (4 * cols));
      const ids = JSON.stringify(labelTokenIds);
      const recordedIds = existsSync(tokens) ? (await readFile(tokens, 'utf8')).trim() : null;
      // A checkpoint written before the ids were kept cannot be told: it is resumed, as it was then.
      const sameTokens = recordedIds === null || recordedIds === ids;
      if (!sameTokens && !discardUnfit) {
        throw new OutputExistsError(
          tokens,
          (naming) =>
            `the unfinished run there scored label tokens ${recordedIds}, where the model now gives ${ids} for the same classes: ` +
            `its tokenizer changed (another model served under the same name?); resuming would mix their scores: write to another output folder, or ${passForce(naming, 'discard it and start fresh')}`,
        );
      }
      if (sameTokens && scored <= items) {
        if (recordedIds === null) await writeFileAtomic(tokens, `${ids}\n`);
        // A checkpoint written before floored scores were kept has no marks: its model floored none
        // (a served model's configuration of then is refused before this, as it did not record how it scored).
        if (!existsSync(marks)) await writeFileAtomic(marks, new Uint8Array(scored * cols));
        const complete = Math.min(scored, Math.floor((await stat(marks)).size / cols));
        const kept = complete === items ? complete : complete - (complete % batchSize);
        await truncate(data, kept * 4 * cols);
        await truncate(marks, kept * cols);
        const bytes = await readFile(data);
        const rows = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        return new ScoreCheckpoint(base, cols, rows, new Uint8Array(await readFile(marks)));
      }
      if (scored > items && !discardUnfit) {
        throw new FileFormatError(
          data,
          (naming) =>
            `holds ${formatCount(scored, 'row')} of scores, more than the ${formatCount(items, 'item')} to score, so it is not one run's ` +
            `(two runs on the same folder at once?); remove it, or ${passForce(naming, 'start fresh')}`,
        );
      }
    }
    await ScoreCheckpoint.discard(base);
    await writeFileAtomic(`${base}.partial.json`, `${JSON.stringify(config)}\n`);
    await writeFileAtomic(tokens, `${JSON.stringify(labelTokenIds)}\n`);
    await writeFileAtomic(marks, new Uint8Array(0));
    await writeFileAtomic(data, new Uint8Array(0));
    return new ScoreCheckpoint(base, cols, new Float32Array(0), new Uint8Array(0));
  }

  /** Number of finished items on disk. */
  get done(): number {
    return this.rows.length / this.cols;
  }

  /**
   * Appends a finished batch, its rows and which of their scores were floored (one byte per score),
   * and flushes it to disk: the marks first, so that a kill between the two leaves no row without them.
   */
  async append(rows: Float32Array, floored: Uint8Array): Promise<void> {
    await appendFlushed(`${this.base}.partial.floored`, floored);
    await appendFlushed(`${this.base}.partial.f32`, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
    faultPoint('evaluate:batch');
  }

  /**
   * Removes the checkpoint when it holds no rows: a run that failed before its first batch (a
   * prompt too long for the model, a server's malformed answer) leaves nothing behind.
   */
  async discardIfEmpty(): Promise<void> {
    const data = `${this.base}.partial.f32`;
    if (existsSync(data) && (await stat(data)).size > 0) return;
    await ScoreCheckpoint.discard(this.base);
  }

  /** Removes the checkpoint files (after the final results are written, or to start over). */
  static async discard(base: string): Promise<void> {
    await rm(`${base}.partial.json`, { force: true });
    await rm(`${base}.partial.f32`, { force: true });
    await rm(`${base}.partial.floored`, { force: true });
    await rm(`${base}.partial.tokens.json`, { force: true });
  }
}

async function appendFlushed(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'a');
  try {
    await handle.write(bytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
