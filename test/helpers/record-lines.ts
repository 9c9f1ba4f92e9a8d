import { checkedRecordLine } from '../../src/session/checksum.js';

/**
 * A record's journal line (no newline) with the check of its contents, as the journal writes it,
 * whatever check `record` carried: what a line edited and then given a new check looks like, for
 * tests of what the session's own checks of a record see.
 */
export function signedRecordLine(record: Record<string, unknown>): string {
  const { c: _check, ...contents } = record;
  return checkedRecordLine(contents).toString('utf8').slice(0, -1);
}
