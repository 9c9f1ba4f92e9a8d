import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// The TypeScript and JavaScript blocks of the README and docs/*.md, which test/docs-snippets.test.ts
// type-checks against the sources and test/package/consumer.test.ts against the packed package.
//
// A block may use names its prose leaves to the reader (`texts`, `model`, `askSomeone`):
// FREE_NAMES declares them, per file in the order of its blocks, with the types the prose implies,
// written against the package as `api` (`api.Model`), so that a wrong use of the reader's model
// fails too. The declarations come after the block, so that a reported line is the doc's line.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Per file, per ```ts / ```js block in order: the free names it uses, as ambient declarations. */
export const FREE_NAMES: Record<string, string[][]> = {
  'README.md': [[]],
  'docs/adaptive.md': [
    [
      'declare const f: api.MatrixInput, g: api.MatrixInput, gHeld: api.MatrixInput;',
      'declare const y: api.LabelsInput, yHeld: api.LabelsInput;',
      'declare const pool: api.SimulationInput;',
    ],
  ],
  'docs/llm-scoring.md': [[]],
  'docs/reports.md': [[]],
  'docs/reproduce-paper.md': [[]],
  'docs/sessions.md': [
    [
      'declare const texts: string[], ids: string[];',
      'declare const modelScores: api.ScoresInput, surrogateScores: api.ScoresInput;',
      'declare function askSomeone(text: string): Promise<string | null>;',
    ],
    [
      'declare const model: api.Model, prefix: string, texts: string[], classes: string[];',
      'declare const surrogateScores: api.ScoresInput;',
    ],
  ],
  'docs/simulate.md': [
    ['declare const modelScores: api.MatrixInput, surrogateScores: api.MatrixInput, labels: api.LabelsInput;'],
    ['declare const model: api.Model, dataset: api.TextClassificationDataset, splits: api.Splits;'],
    [],
    [],
  ],
  'docs/vllm.md': [['declare const prompts: string[];']],
};

export interface DocBlock {
  /** The markdown file, relative to the repository. */
  file: string;
  /** A name for the block's module: the file's path with `-` for `/` and `.`, and the block's number. */
  name: string;
  /** 1-based line of the block's first code line in the file. */
  line: number;
  code: string;
  /** Its FREE_NAMES entry (empty when it has none). */
  declarations: string[];
  /** The block as a module: its code, then `declarations`. */
  module: string;
}

/** The fenced blocks of `file` (relative to the repository) in one of `languages`: each one's code and its first code line (1-based). */
export function fencedBlocks(file: string, languages: readonly string[]): Array<{ line: number; code: string }> {
  const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
  const blocks: Array<{ line: number; code: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*(\w*)/.exec(lines[i]!);
    if (open === null) continue;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(open[1]!)) end++;
    if (languages.includes(open[2]!)) blocks.push({ line: i + 2, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The ```ts, ```typescript, ```js and ```javascript blocks of `file` (relative to the repository). */
function blocksOf(file: string): DocBlock[] {
  return fencedBlocks(file, ['ts', 'typescript', 'js', 'javascript']).map(({ line, code }, index) => {
    const declarations = FREE_NAMES[file]?.[index] ?? [];
    const module = [code, "import type * as api from 'active-testing';", ...declarations, 'export {};', ''].join('\n');
    return { file, name: `${file.replace(/[/.]/g, '-')}-${index + 1}`, line, code, declarations, module };
  });
}

/** The code blocks of the README and docs/*.md. */
export function docBlocks(): DocBlock[] {
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].flatMap(blocksOf);
}

/** The names `declarations` declare. */
export function declaredNames(declarations: string[]): string[] {
  const source = ts.createSourceFile('declarations.ts', declarations.join('\n'), ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) => {
    if (ts.isFunctionDeclaration(statement) && statement.name !== undefined) return [statement.name.text];
    if (ts.isVariableStatement(statement))
      return statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
    return [];
  });
}

/** Every identifier `code` mentions (not the words of its comments or strings). */
export function identifiersIn(code: string): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) names.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile('block.ts', code, ts.ScriptTarget.Latest, true));
  return names;
}
