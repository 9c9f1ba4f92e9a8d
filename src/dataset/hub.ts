import { ActiveTestingError, FileFormatError, InputError } from '../errors.js';
import { checkObject } from '../io/check-arguments.js';
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

/**
 * Downloads a split (or its first `limit` rows) page by page. The table's origin names the split
 * and each row's index in it, so that an error about a row says where to find it.
 *
 * @example
 * const table = await fetchHubTable({ dataset: 'glue', config: 'sst2', split: 'validation' }, 100); // its first 100 rows
 */
export async function fetchHubTable(source: HubSource, limit?: number): Promise<Table> {
  checkHubSource(source);
  const table: Table = { columns: [], rows: [] };
  let total = limit ?? Infinity;
  for (let offset = 0; offset < total; offset += PAGE) {
    const url = hubRowsUrl(source, offset, Math.min(PAGE, total - offset));
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new ActiveTestingError(`cannot reach the Hugging Face Hub (${url}): ${(error as Error).message}`);
    }
    if (!response.ok) throw new ActiveTestingError(`the Hugging Face Hub answered ${response.status} for ${url}`);
    const page = parseHubRows(await response.json(), url);
    table.columns = page.table.columns;
    table.rows.push(...page.table.rows);
    total = Math.min(total, page.total);
    if (page.table.rows.length === 0) break;
  }
  // Pages are asked for from the split's first row on: the table's rows are the split's, in order.
  table.origin = { path: hubSpec(source), lines: [], rows: table.rows.map((_, i) => i) };
  return table;
}
