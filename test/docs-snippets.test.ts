import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { declaredNames, docBlocks, FREE_NAMES, identifiersIn } from './helpers/doc-blocks.js';

// The TypeScript and JavaScript blocks of the README and docs/*.md are what a reader copies: each is
// type-checked here, strict as the repository's tsconfig, against today's sources (`active-testing`
// is src/index.ts, `active-testing/reference` src/reference/index.ts), so that a renamed option, a
// removed function or a wrong result field in a doc fails a fast test, without a build. Also under
// exactOptionalPropertyTypes and noUncheckedIndexedAccess, which the repository leaves off but many
// projects turn on: a block must compile in such a project too (`texts[0]` is a `string | undefined`
// there, and must be checked rather than passed on as a string). The names
// a block leaves to the reader are declared by FREE_NAMES in test/helpers/doc-blocks.ts. All blocks
// are one compiler program, checked once. (test/package/consumer.test.ts compiles the same blocks
// against the packed package.)

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const blocks = docBlocks();

/** Type-checks every block in one program; the diagnostics in them, as `file:line: message`. */
function typeCheck(): string[] {
  const files = new Map(blocks.map((block) => [join(repoRoot, `${block.name}.ts`), block]));
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repoRoot, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  const options: ts.CompilerOptions = {
    ...config.options,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    paths: { 'active-testing': [join(repoRoot, 'src/index.ts')], 'active-testing/reference': [join(repoRoot, 'src/reference/index.ts')] },
  };
  // The blocks are files of this program only, never written to the checkout.
  const host = ts.createCompilerHost(options);
  const { readFile, fileExists, getSourceFile } = host;
  host.readFile = (path) => files.get(path)?.module ?? readFile.call(host, path);
  host.fileExists = (path) => files.has(path) || fileExists.call(host, path);
  host.getSourceFile = (path, language, ...rest) => {
    const block = files.get(path);
    return block === undefined
      ? getSourceFile.call(host, path, language, ...rest)
      : ts.createSourceFile(path, block.module, language, true);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const problems: string[] = [];
  for (const [path, block] of files) {
    const source = program.getSourceFile(path)!;
    const codeLines = block.code.split('\n').length;
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
      const where = line < codeLines ? `${block.file}:${block.line + line}` : `FREE_NAMES of ${block.name}`;
      problems.push(`${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
    }
  }
  return problems;
}

describe('code blocks of the README and docs/*.md', () => {
  it('has a FREE_NAMES entry for each block, declaring only names the block uses', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    const counts: Record<string, number> = {};
    for (const block of blocks) counts[block.file] = (counts[block.file] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(Object.entries(FREE_NAMES).map(([file, list]) => [file, list.length])));
    const unused = blocks.flatMap((block) => {
      const used = identifiersIn(block.code);
      return declaredNames(block.declarations)
        .filter((name) => !used.has(name))
        .map((name) => `${block.name}: ${name}`);
    });
    expect(unused).toEqual([]);
  });

  it('type-check against the public API', () => {
    expect(typeCheck()).toEqual([]);
  });
});
