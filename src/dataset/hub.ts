import { ActiveTestingError, CancelledError, FileFormatError, InputError } from '../errors.js';
import { checkObject } from '../io/check-arguments.js';
import { abortableDelay, followSignal } from '../io/follow-signal.js';
import { formatCount } from '../io/format-count.js';
import { sendableInHeader } from '../io/header-value.js';
import { redactSecrets, registerSecret } from '../io/redact.js';
import type { Table } from './read-table.js';

/** A split of a Hub dataset, e.g. `{ dataset: 'glue', config: 'sst2', split: 'train' }`. */
export interface HubSource {
  dataset: string;
  config?: string;
  split?: string;
}

const ROWS_ENDPOINT = 'https://datasets-server.huggingface.co/rows';
const PAGE = 100;

/**
 * Parses `hub:name[:config][:split]` as the CLI takes it.
 *
 * @example
 * parseHubSpec('hub:glue:sst2:validation'); // { dataset: 'glue', config: 'sst2', split: 'validation' }
 */
export function parseHubSpec(spec: string): HubSource {
  if (typeof spec !== 'string') throw new InputError({ argument: 'spec', expected: 'a string hub:name[:config][:split]', received: spec });
  const [, dataset, config, split] = spec.split(':');
  if (!dataset) throw new FileFormatError(spec, 'expected hub:name[:config][:split]');
  return { dataset, ...(config ? { config } : {}), ...(split ? { split } : {}) };
}

/** The dataset viewer's URL for one page of rows. */
export function hubRowsUrl(source: HubSource, offset: number, length: number): string {
  const { dataset, config, split } = withHubDefaults(source);
  const params = new URLSearchParams({
    dataset,
    config,
    split,
    offset: String(offset),
    length: String(length),
  });
  return `${ROWS_ENDPOINT}?${params}`;
}

/** One page of the dataset viewer's `/rows` answer as a table (class labels stay ids), and the split's row count. */
export function parseHubRows(body: unknown, url: string): { table: Table; total: number } {
  const page = body as {
    features?: Array<{ name: string; type?: { _type?: string; names?: string[] } }>;
    rows?: Array<{ row: Record<string, unknown> }>;
    num_rows_total?: number;
  };
  if (!Array.isArray(page?.features) || !Array.isArray(page.rows))
    throw new FileFormatError(url, 'unexpected answer from the dataset viewer (no features/rows)');
  const columns = page.features.map((f) => f.name);
  const rows = page.rows.map(({ row }) => columns.map((c) => row[c]));
  return { table: { columns, rows }, total: page.num_rows_total ?? rows.length };
}

/**
 * The split as `hub:name:config:split` with the defaults filled in (`hub:glue:sst2:train`), naming
 * it in messages and telling two spellings of one split apart from two splits.
 *
 * @example
 * hubSpec({ dataset: 'glue', config: 'sst2' }); // 'hub:glue:sst2:train'
 */
export function hubSpec(source: HubSource): string {
  const { dataset, config, split } = withHubDefaults(source);
  return `hub:${dataset}:${config}:${split}`;
}

/** Refuses a source without a dataset name before the Hub is asked (it would answer for `dataset=undefined`). */
function checkHubSource(source: unknown): asserts source is HubSource {
  checkObject(source, 'source', 'a Hub source { dataset, config?, split? }');
  const { dataset } = source as Partial<HubSource>;
  if (typeof dataset !== 'string' || dataset === '')
    throw new InputError({ argument: 'source.dataset', expected: 'a Hub dataset name (a non-empty string)', received: dataset });
}

/** `source` with the dataset viewer's defaults for what it leaves out: the `default` config, the `train` split. */
function withHubDefaults(source: HubSource): Required<HubSource> {
  return { dataset: source.dataset, config: source.config ?? 'default', split: source.split ?? 'train' };
}

/** Where the token for a gated or private dataset is read, in this order (as transformers.js reads a model's). */
const TOKEN_VARIABLES = ['HF_TOKEN', 'HF_ACCESS_TOKEN'] as const;

/**
 * The token a request to the dataset viewer carries, and the variable it came from; registered so
 * that no message shows it, and refused where fetch could not send it (a pasted line break would
 * otherwise read as a network failure).
 *
 * @throws {ActiveTestingError} naming the variable, not the token, where it cannot go in a header.
 */
function hubToken(): { token: string; variable: string } | null {
  for (const variable of TOKEN_VARIABLES) {
    const token = process.env[variable];
    if (!token) continue;
    registerSecret(token);
    if (!sendableInHeader(token))
      throw new ActiveTestingError(
        `${variable} holds a line break, another control character or a character beyond Latin-1, which an HTTP header cannot carry (the token is not shown)`,
      );
    return { token, variable };
  }
  return null;
}

/** The dataset viewer's refusal of a request, or no answer at all (`status` null); its message never shows a registered secret. */
class HubAnswerError extends ActiveTestingError {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(redactSecrets(message));
  }

  /** No answer (or an answer cut off), too many requests, or a server error: another try later may succeed. */
  get transient(): boolean {
    return this.status === null || this.status === 408 || this.status === 429 || (this.status >= 500 && this.status !== 501);
  }
}

/** The most of the viewer's reason quoted in a message, as of a served model's. */
const MAX_REASON_LENGTH = 200;

/** Retries of a page the viewer did not serve for a transient reason, after 1, 2, 4 and 8 s. */
const PAGE_RETRIES = 4;
const FIRST_RETRY_DELAY_MS = 1000;

/**
 * One page of rows, retried where the viewer fails for a while (a split of 67,000 rows is 670
 * requests, and one busy answer must not lose the others).
 */
async function fetchHubPageRetried(url: string, cancelled: () => Error, signal?: AbortSignal): Promise<{ table: Table; total: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchHubPage(url, cancelled, signal);
    } catch (error) {
      if (!(error instanceof HubAnswerError && error.transient) || attempt === PAGE_RETRIES) throw error;
      await abortableDelay(FIRST_RETRY_DELAY_MS * 2 ** attempt, signal, cancelled);
    }
  }
}

/**
 * One page of rows from the dataset viewer, or an error that says what the viewer answered and,
 * where a token may help, which; `cancelled()` once `signal` aborts the request.
 */
async function fetchHubPage(url: string, cancelled: () => Error, signal?: AbortSignal): Promise<{ table: Table; total: number }> {
  const credentials = hubToken();
  const headers: Record<string, string> = credentials === null ? {} : { authorization: `Bearer ${credentials.token}` };
  let response: Response;
  let body: string;
  // A controller per request, following the caller's signal through one shared listener: a
  // download of hundreds of pages must not leave a listener per request on a long-lived signal.
  const stop = new AbortController();
  const unfollow = followSignal(stop, signal);
  try {
    response = await fetch(url, { headers, signal: stop.signal });
    body = await response.text();
  } catch (error) {
    if (signal?.aborted) throw cancelled();
    // No answer, or one cut off (a connection dropped mid-body).
    throw new HubAnswerError(`cannot reach the Hugging Face Hub (${url}): ${(error as Error).message}`, null);
  } finally {
    unfollow();
  }
  if (!response.ok) {
    const said = viewerError(body);
    throw new HubAnswerError(
      `the Hugging Face Hub answered ${response.status} for ${url}${said === '' ? '' : `: ${said}`}${tokenHint(response.status, said, credentials?.variable)}`,
      response.status,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // JSON cut short (a connection closed early) may come whole next time; a proxy's page will not.
    if (/^\s*[[{]/.test(body)) throw new HubAnswerError(`the Hugging Face Hub's answer for ${url} was cut short`, null);
    throw new HubAnswerError(
      `the Hugging Face Hub answered ${url} with something other than JSON (a proxy's page?): ${quoted(body)}`,
      response.status,
    );
  }
  return parseHubRows(parsed, url);
}

/**
 * What a token would change, for a refusal that may be about access (401, 403, or a 404 that says
 * nothing or speaks of authentication, as the viewer's answer for a gated dataset does).
 */
function tokenHint(status: number, said: string, variable: string | undefined): string {
  const aboutAccess = status === 401 || status === 403 || (status === 404 && (said === '' || /authenticat|gated|private/i.test(said)));
  if (!aboutAccess) return '';
  return variable === undefined
    ? '; a private or gated dataset needs a token that may read it in HF_TOKEN'
    : `; check that the token in ${variable} may read it`;
}

/** The dataset viewer's reason in an error answer (`{"error": "…"}`), quoted; empty where it gives none. */
function viewerError(body: string): string {
  try {
    const { error } = JSON.parse(body) as { error?: unknown };
    return typeof error === 'string' && error !== '' ? quoted(error) : '';
  } catch {
    return '';
  }
}

/** `text` as a JSON string, cut at `MAX_REASON_LENGTH` characters. */
function quoted(text: string): string {
  return JSON.stringify(text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH)}…` : text);
}

/**
 * Checks that the dataset viewer serves the split, reading one row: a misspelled name, config or
 * split, or a gated dataset without a token, is found before any scoring rather than at the
 * split's turn. Gives the split's columns and row count, or null where the viewer cannot answer
 * now (no internet, too many requests, a server error): the split's download then tries again.
 * `signal` stops the request.
 *
 * @example
 * await probeHubTable({ dataset: 'glue', config: 'sst2', split: 'validation' }); // { columns: ['sentence', 'label', 'idx'], rowCount: 872 }
 * @throws {ActiveTestingError} when the viewer refuses the split; {CancelledError} when `signal` aborts.
 */
export async function probeHubTable(source: HubSource, signal?: AbortSignal): Promise<{ columns: string[]; rowCount: number } | null> {
  checkHubSource(source);
  try {
    const cancelled = () => new CancelledError(`the check of ${hubSpec(source)} was cancelled`);
    const page = await fetchHubPage(hubRowsUrl(source, 0, 1), cancelled, signal);
    return { columns: page.table.columns, rowCount: page.total };
  } catch (error) {
    if (error instanceof HubAnswerError && error.transient) return null;
    throw error;
  }
}

/**
 * Downloads a split (or its first `limit` rows) page by page. The table's origin names the split
 * and each row's index in it, so that an error about a row says where to find it. A gated or
 * private dataset is read with the token in `HF_TOKEN`. A page the viewer does not serve for a
 * while (no answer, 429, 5xx) is asked for again, up to 4 times over 15 s. `signal` stops the
 * download (a request in flight, a wait between tries).
 *
 * @example
 * const table = await fetchHubTable({ dataset: 'glue', config: 'sst2', split: 'validation' }, 100); // its first 100 rows
 * @throws {ActiveTestingError} when the viewer cannot be reached or refuses the split;
 *   {CancelledError} when `signal` aborts.
 */
export async function fetchHubTable(source: HubSource, limit?: number, signal?: AbortSignal): Promise<Table> {
  checkHubSource(source);
  const table: Table = { columns: [], rows: [] };
  const cancelled = () =>
    new CancelledError(`the download of ${hubSpec(source)} was cancelled after ${formatCount(table.rows.length, 'row')}`);
  let total = limit ?? Infinity;
  for (let offset = 0; offset < total; offset += PAGE) {
    if (signal?.aborted) throw cancelled();
    const page = await fetchHubPageRetried(hubRowsUrl(source, offset, Math.min(PAGE, total - offset)), cancelled, signal);
    table.columns = page.table.columns;
    table.rows.push(...page.table.rows);
    total = Math.min(total, page.total);
    if (page.table.rows.length === 0) break;
  }
  // Pages are asked for from the split's first row on: the table's rows are the split's, in order.
  table.origin = { path: hubSpec(source), lines: [], rows: table.rows.map((_, i) => i) };
  return table;
}
