import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { reportText } from '../../scripts/api-report.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * api/public-api.txt is the reviewed list of the package's exports: an export added, removed or
 * changed in kind fails here until the report is regenerated (`npm run api:report`), so the
 * change shows in review. Needs dist/ (npm test builds first).
 */
describe.skipIf(!existsSync(join(repo, 'dist/reference.d.ts')))('the public API report', () => {
  it('lists exactly the exports of the built entry points', () => {
    expect(reportText()).toBe(readFileSync(join(repo, 'api/public-api.txt'), 'utf8'));
  });

  it('keeps the engine internals out of the public API', () => {
    const report = readFileSync(join(repo, 'api/public-api.txt'), 'utf8');
    for (const internal of [
      'RunBlock',
      'TILE_RUNS',
      'BOOTSTRAP_STREAM',
      'SortedPool',
      'MixturePlan',
      'hubRowsUrl',
      'aliasTable',
      'toJson',
      'runPrepared',
      'OPTION_DECLARATIONS',
    ]) {
      expect(report).not.toMatch(new RegExp(`^\\w+ ${internal}$`, 'm'));
    }
    expect(report).not.toMatch(/\bndarray\b/);
  });

  it('exports every type a public declaration names, so that a user can name it too', () => {
    // A class extending, or a signature naming, a type the package does not export leaves a
    // TypeScript user unable to write that type (`const m: CandidateMixture`). The reference
    // subpath may name the root's exports.
    const entries = ['dist/index.d.ts', 'dist/reference.d.ts'].map((file) => join(repo, file));
    const program = ts.createProgram(entries, { noEmit: true, skipLibCheck: true, types: ['node'] });
    const checker = program.getTypeChecker();
    const resolved = (symbol: ts.Symbol): ts.Symbol => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
    const exportsOf = (file: string): ts.Symbol[] => checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!);
    const exported = new Set(entries.flatMap((file) => exportsOf(file).map(resolved)));
    const unexported = new Set<string>();
    const visited = new Set<ts.Node>();
    const visit = (node: ts.Node): void => {
      const name = ts.isTypeReferenceNode(node)
        ? node.typeName
        : ts.isExpressionWithTypeArguments(node)
          ? node.expression
          : ts.isTypeQueryNode(node)
            ? node.exprName
            : undefined;
      const found = name && checker.getSymbolAtLocation(name);
      if (found) {
        const symbol = resolved(found);
        const declarations = symbol.declarations ?? [];
        const ours = declarations.some((d) => d.getSourceFile().fileName.startsWith(join(repo, 'dist')));
        if (ours && !(symbol.flags & ts.SymbolFlags.TypeParameter) && !exported.has(symbol)) {
          unexported.add(symbol.getName());
          for (const declaration of declarations) declare(declaration);
        }
      }
      ts.forEachChild(node, visit);
    };
    const declare = (declaration: ts.Node): void => {
      if (visited.has(declaration)) return;
      visited.add(declaration);
      visit(declaration);
    };
    for (const file of entries) for (const symbol of exportsOf(file)) for (const d of resolved(symbol).declarations ?? []) declare(d);
    expect([...unexported].sort()).toEqual([]);
  });

  it("exports what ActiveTestingSession's methods return and throw", () => {
    const report = readFileSync(join(repo, 'api/public-api.txt'), 'utf8');
    // history() returns ProposalRecord[]; a failed write makes every later action throw SessionWriteError.
    for (const name of ['interface ProposalRecord', 'class SessionWriteError']) expect(report).toMatch(new RegExp(`^${name}$`, 'm'));
  });

  it("gives the published code's class names from active-testing/reference, the same objects as the root's", async () => {
    const root = (await import(join(repo, 'dist/index.js'))) as Record<string, unknown>;
    const reference = (await import(join(repo, 'dist/reference.js'))) as Record<string, unknown>;
    const names = ['Model', 'SST2Dataset', 'EvaluationClassification', 'IidAcquisition', 'SurrogateEntropyAcquisition', 'LUREEstimator'];
    for (const name of names) {
      expect(typeof reference[name], name).toBe('function');
      expect(reference[name], name).toBe(root[name]);
    }
  });
});
