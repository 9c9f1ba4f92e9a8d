import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliFlag, COMMAND_CONTEXTS, commandOptions, parseOptionText, type CommandName } from '../src/options/schema.js';
import { fencedBlocks } from './helpers/doc-blocks.js';

// The shell commands of the README and docs/*.md are what a reader types; no test runs them (they
// need models, data, a server). This one holds every `active-testing` command line they show to
// the option schema, without running anything: the command exists, each flag is one of that
// command's flags (or `--help`), a flag that takes one value is not given twice, and a literal
// value of a number, choice or list flag (`--runs 3000`, `--loss cross-entropy|zero-one|brier`,
// alternatives split at `|`) is one its parser takes. Placeholders (`N`, `FILE`, `λ`, `$I`, `...`)
// are left alone. It reads the ```sh, ```bash, ```console, ```shell and unlabelled blocks, and the
// inline code that starts with a command (`simulate --demo`, `active-testing report DIR --smoothing
// 5`); the ```text blocks of refused inputs (docs/options.md) are other tests' (schema.test.ts).
// Each `npm run SCRIPT` the docs name must be a script of package.json.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const SHELL_LANGUAGES = ['sh', 'bash', 'console', 'shell', ''];
const COMMANDS = Object.keys(COMMAND_CONTEXTS) as CommandName[];
/** Value kinds whose literal text the parser checks; files, folders and names are not looked up. */
const CHECKED_KINDS = new Set(['integer', 'number', 'choice', 'bootstrap', 'seed', 'temperature', 'list']);

interface CommandLine {
  /** `file:line` of the line it starts on. */
  where: string;
  words: string[];
}

/**
 * The words of one logical shell line, as the shell splits them for this purpose: quotes ('…',
 * "…", $'…') kept in one word, `<…>` placeholders one word, a `#` that starts a word a comment.
 */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    if (c === '#' && !inWord) break;
    const close = c === "'" || c === '"' ? c : c === '<' && !inWord ? '>' : c === '$' && line[i + 1] === "'" ? "'" : null;
    if (close !== null) {
      const start = c === '$' ? i + 2 : i + 1;
      let end = start;
      while (end < line.length && line[end] !== close) end += line[end] === '\\' && c !== "'" ? 2 : 1;
      word += line.slice(i, end + 1);
      i = end;
    } else word += c;
    inWord = true;
  }
  if (inWord) words.push(word);
  return words;
}

const SEPARATORS = ['|', '||', '&&', ';'];

/**
 * Whether `words[i]` is the program of a command: `active-testing` (or `active-testing@VERSION`)
 * first, after `npx`, a prompt's `$`, a separator or an environment assignment (`npm install
 * active-testing …` installs it), or `dist/cli.js` after `node`.
 */
function isProgram(words: string[], i: number): boolean {
  const before = words[i - 1];
  if (words[i] === 'dist/cli.js') return before === 'node';
  if (!/^active-testing(?:@\S+)?$/.test(words[i]!)) return false;
  return before === undefined || ['npx', '$', ...SEPARATORS].includes(before) || /^[A-Z_][A-Z0-9_]*=/.test(before);
}

/** The `active-testing` commands of `words` (one logical line): each from the word after the program to the next `|`, `||`, `&&` or `;`. */
function commandsIn(words: string[], where: string): CommandLine[] {
  const commands: CommandLine[] = [];
  words.forEach((_word, i) => {
    // `active-testing report: left out …` is a message the command prints, not a command.
    if (!isProgram(words, i) || words[i + 1]?.endsWith(':')) return;
    const end = words.findIndex((w, j) => j > i && SEPARATORS.includes(w));
    commands.push({ where, words: words.slice(i + 1, end === -1 ? undefined : end) });
  });
  return commands;
}

/**
 * Every `active-testing` command line of the docs' shell blocks and inline code, and each inline
 * code span that runs past a blank line: a paragraph ends there, so such a span is backticks paired
 * across it (one left unpaired), which would read prose as code, and code as prose, from there on.
 */
function documentedCommands(): { commands: CommandLine[]; unpaired: string[] } {
  const commands: CommandLine[] = [];
  const unpaired: string[] = [];
  for (const file of DOCS) {
    for (const { line, code } of fencedBlocks(file, SHELL_LANGUAGES)) {
      const lines = code.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const start = i;
        let logical = lines[i]!;
        while (logical.endsWith('\\') && i + 1 < lines.length) logical = logical.slice(0, -1) + ' ' + lines[++i]!;
        commands.push(...commandsIn(shellWords(logical), `${file}:${line + start}`));
      }
    }
    // Inline code may wrap onto the next line; fenced blocks are blanked first, so that a fence's
    // backticks never open a span.
    let fenced = false;
    const prose = readFileSync(join(repoRoot, file), 'utf8')
      .split('\n')
      .map((text) => {
        const fence = /^\s*(`{3,}|~{3,})/.test(text);
        if (fence) fenced = !fenced;
        return fence || fenced ? '' : text;
      })
      .join('\n');
    // A span opens and closes with runs of backticks of one length (``a `b` c``), as in CommonMark.
    for (const span of prose.matchAll(/(?<!`)(`+)(?!`)([\s\S]+?)(?<!`)\1(?!`)/g)) {
      const where = `${file}:${prose.slice(0, span.index).split('\n').length}`;
      if (/\n\s*\n/.test(span[2]!)) {
        unpaired.push(where);
        continue;
      }
      const words = shellWords(span[2]!.replace(/\n/g, ' '));
      if (words[0] === 'npx') words.shift();
      if (words[0] !== 'active-testing' && !(COMMANDS.includes(words[0] as CommandName) && words[1]?.startsWith('--'))) continue;
      if (words[0] !== 'active-testing') words.unshift('active-testing');
      commands.push(...commandsIn(words, where));
    }
  }
  return { commands, unpaired };
}

/** Whether `word` is a value written out, rather than a placeholder (`N`, `FILE`, `λ`, `$I`, `...`). */
const isLiteral = (word: string) => /^-?[a-z0-9][a-z0-9.,|_-]*$/.test(word) && !/\.\.|…/.test(word);

/** What is wrong with one documented command line: empty when the schema takes it. */
function problemsOf(words: string[]): string[] {
  // `[--seed 0]` is an optional flag; `--calibration-scores/--calibration-labels` two flags.
  const [first, ...args] = words.flatMap((w) => w.replace(/^\[+|\]+$/g, '').split(/\/(?=--)/));
  if (first === undefined || first === '<command>' || first === '--help' || first === '--version') return [];
  if (first === 'help') return args[0] === undefined || ['<command>', ...COMMANDS].includes(args[0]) ? [] : [`no command ${args[0]}`];
  if (!COMMANDS.includes(first as CommandName)) return [`no command ${first}`];
  const command = first as CommandName;
  const options = new Map(commandOptions(command).map((o) => [cliFlag(o.declaration.name), o]));
  const problems: string[] = [];
  const given = new Set<string>();
  args.forEach((arg, i) => {
    if (!arg.startsWith('--')) return;
    const [flag, inline] = arg.split(/=(.*)/s) as [string, string | undefined];
    if (flag === '--help') return;
    const option = options.get(flag);
    if (option === undefined) {
      problems.push(`${command} has no flag ${flag}`);
      return;
    }
    const { declaration, context } = option;
    if (given.has(flag) && declaration.value.kind !== 'list') problems.push(`${flag} is given twice`);
    given.add(flag);
    const value = inline ?? args[i + 1];
    if (declaration.value.kind === 'flag' || value === undefined || !isLiteral(value) || !CHECKED_KINDS.has(declaration.value.kind)) return;
    for (const alternative of value.split('|')) {
      try {
        parseOptionText(declaration.name, alternative, context);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  });
  return problems;
}

describe('the command lines in the docs', () => {
  const { commands, unpaired } = documentedCommands();

  it('are read from inline code whose backticks pair within a paragraph', () => {
    expect(unpaired).toEqual([]);
  });

  it('are found: more than 60 of them, and some of every command', () => {
    // A parser that found nothing would pass every check below.
    expect(commands.length).toBeGreaterThan(60);
    for (const name of COMMANDS)
      expect(
        commands.some((c) => c.words[0] === name),
        name,
      ).toBe(true);
  });

  it('name a command, and only its flags, each once, with values its parser takes', () => {
    const problems = commands.flatMap(({ where, words }) =>
      problemsOf(words).map((p) => `${where}: active-testing ${words.join(' ')}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('are checked by a rule that refuses what the command line refuses', () => {
    expect(problemsOf(['simulate', '--clp', '0.2'])).toEqual(['simulate has no flag --clp']);
    expect(problemsOf(['report', 'DIR', '--max-labels', '5'])).toEqual(['report has no flag --max-labels']);
    expect(problemsOf(['simulate', '--runs', '10', '--runs', '1000'])).toEqual(['--runs is given twice']);
    expect(problemsOf(['simulate', '--loss', 'cross-entropy|ce'])).toEqual([
      '--loss: expected one of cross-entropy | zero-one | brier (did you mean cross-entropy?), got "ce"',
    ]);
    expect(problemsOf(['label', '--max-labels=0'])).toEqual(['--max-labels: expected an integer ≥ 1, got "0"']);
    expect(problemsOf(['simulate', '--interval', 'anytime', '--interval', 'fixed', '--runs', 'N', '--defensive', 'λ'])).toEqual([]);
    expect(problemsOf(['evaluate', '--model', '<hub id | dir>', '[--device', 'cuda]'])).toEqual([]);
    expect(problemsOf(['simulat', '--runs', '1'])).toEqual(['no command simulat']);
    expect(problemsOf(['report', 'DIR', '--smoothing', '-1'])).toHaveLength(1);
    expect(commandsIn(shellWords('npm install active-testing @huggingface/transformers'), 'x')).toEqual([]);
    expect(commandsIn(shellWords('npx active-testing@0.1.0 simulate --demo && node dist/cli.js label --estimate'), 'x')).toEqual([
      { where: 'x', words: ['simulate', '--demo'] },
      { where: 'x', words: ['label', '--estimate'] },
    ]);
    expect(shellWords(`a --instruction $'x "y"\\n' --out "d e" # c`)).toEqual(['a', '--instruction', `$'x "y"\\n'`, '--out', '"d e"']);
  });

  it('run only npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: object }).scripts);
    const missing = DOCS.flatMap((file) =>
      [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/npm run ([\w:-]+)/g)]
        .map(([, script]) => script!)
        .filter((script) => !scripts.includes(script))
        .map((script) => `${file}: npm run ${script}`),
    );
    expect(missing).toEqual([]);
  });
});
