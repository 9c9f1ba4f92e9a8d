/** Characters a POSIX shell reads literally in a word (and zsh: no `=` first): anything else makes the word quoted. */
const PLAIN_WORD = /^[\w@%+:,./-][\w@%+=:,./-]*$/;

/**
 * `path` as one word of a command a user may paste into a POSIX shell: as it is when the shell reads
 * it literally, else in single quotes (a quote inside written `'\''`), and after `./` when it
 * starts with `-`, which a command would read as an option. Messages that suggest a command with a
 * user's path use it, so a path with a space, a `$` or a leading dash pastes as that path.
 *
 * @example
 * shellWord('runs/a.session'); // 'runs/a.session'
 * shellWord('my runs/a.session'); // "'my runs/a.session'"
 * shellWord("it's.tsv"); // "'it'\\''s.tsv'"
 * shellWord('-x.session'); // './-x.session'
 */
export function shellWord(path: string): string {
  const word = path.startsWith('-') ? `./${path}` : path;
  return PLAIN_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
