import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeExports } from '../../scripts/api-report.mjs';
import { DESCRIBE_SOURCE, shapeMismatches, type Described } from '../helpers/declared-shape.js';
import { docBlocks, identifiersIn } from '../helpers/doc-blocks.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = existsSync(join(repo, 'dist/index.d.ts')) && existsSync(join(repo, 'dist/reference.cjs'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** What `tsc -p config` prints in `project`: its errors, or '' when the project compiles. */
function compilerErrors(project: string, config: string): string {
  try {
    execFileSync(process.execPath, [tsc, '-p', config], { cwd: project, encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

/**
 * The packed tarball as a user installs it (`npm pack`, unpacked into a project's node_modules
 * with the package's dependencies beside it; `npm test` builds first). Every runtime export must
 * be defined through `import` and `require`, and a strict TypeScript project (`skipLibCheck:
 * false`, ESM and CommonJS, without the package's devDependencies, also without Node's or the
 * DOM's types of its own) must compile the README and docs code blocks and refuse wrong-typed
 * inputs.
 */
describe.skipIf(!built)('the packed package in a consumer project', () => {
  let project: string;
  let packed: string;

  beforeAll(() => {
    const temp = mkdtempSync(join(tmpdir(), 'at-consumer-'));
    project = join(temp, 'consumer');
    const output = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', temp], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const tarball = join(temp, (JSON.parse(output) as Array<{ filename: string }>)[0]!.filename);
    execFileSync('tar', ['-xzf', tarball, '-C', temp]);
    packed = join(temp, 'package');
    mkdirSync(join(project, 'node_modules/@types'), { recursive: true });
    cpSync(packed, join(project, 'node_modules/active-testing'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // The dependencies only, as npm installs them: @types/node is one (the declarations use Node's globals).
    for (const name of Object.keys(manifest.dependencies)) {
      mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
      symlinkSync(join(repo, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const fixtures = join(repo, 'test/package/consumer');
    for (const file of readdirSync(fixtures)) cpSync(join(fixtures, file), join(project, file));
    for (const block of docBlocks()) writeFileSync(join(project, `${block.name}.ts`), block.module);
  });

  afterAll(() => {
    if (project) rmSync(dirname(project), { recursive: true, force: true });
  });

  it('depends on exactly the packages its built code imports, and nothing it bundles', () => {
    // A bundled package listed as a dependency is installed for nothing; an imported one missing
    // from the dependencies fails at run time. @types/node is there for the declarations only.
    const manifest = JSON.parse(readFileSync(join(packed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of readdirSync(join(packed, 'dist')).filter((name) => /\.c?js$/.test(name))) {
      const code = readFileSync(join(packed, 'dist', file), 'utf8');
      for (const [, specifier] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|(?<![\w$])require\s*\(\s*)["']([^"'./\s][^"'\s]*)["']/g)) {
        const name = specifier!
          .split('/')
          .slice(0, specifier!.startsWith('@') ? 2 : 1)
          .join('/');
        if (!name.startsWith('node:') && !builtins.has(name)) imported.add(name);
      }
    }
    const declared = [
      ...Object.keys(manifest.dependencies).filter((name) => name !== '@types/node'),
      ...Object.keys(manifest.peerDependencies),
    ];
    expect([...imported].sort()).toEqual(declared.sort());
  });

  it('defines every runtime export through import and require, root and reference subpath', () => {
    const expected = runtimeExports() as Record<string, string[]>;
    const script = (kind: 'esm' | 'cjs') =>
      kind === 'esm'
        ? `const out = {}; for (const e of ${JSON.stringify(Object.keys(expected))}) { const m = await import(e); out[e] = Object.fromEntries(Object.keys(m).map((k) => [k, typeof m[k]])); } console.log(JSON.stringify(out));`
        : `const out = {}; for (const e of ${JSON.stringify(Object.keys(expected))}) { const m = require(e); out[e] = Object.fromEntries(Object.keys(m).filter((k) => k !== '__esModule').map((k) => [k, typeof m[k]])); } console.log(JSON.stringify(out));`;
    for (const kind of ['esm', 'cjs'] as const) {
      const file = join(project, kind === 'esm' ? 'load.mjs' : 'load.cjs');
      writeFileSync(file, script(kind));
      const loaded = JSON.parse(execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' })) as Record<
        string,
        Record<string, string>
      >;
      for (const [entry, names] of Object.entries(expected)) {
        expect(Object.keys(loaded[entry]!).sort(), `${kind} ${entry}: export names`).toEqual([...names].sort());
        const undefinedNames = names.filter((name) => loaded[entry]![name] === 'undefined');
        expect(undefinedNames, `${kind} ${entry}: undefined exports`).toEqual([]);
      }
    }
  });

  it('keeps instanceof across the ES module and CommonJS copies, and every export its own name', () => {
    // A program whose ES modules import the package while a CommonJS dependency requires it loads
    // both builds: an error thrown by one copy must be an instance of the other's classes.
    const script = `
      import * as esm from 'active-testing';
      import * as esmReference from 'active-testing/reference';
      import { builtinModules, createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const cjs = require('active-testing');
      const cjsReference = require('active-testing/reference');
      const thrown = (m) => { try { m.toMatrix('x', 'scores'); } catch (e) { return e; } };
      const [fromEsm, fromCjs] = [thrown(esm), thrown(cjs)];
      const names = (m) => Object.keys(m).filter((k) => typeof m[k] === 'function' && m[k].name !== k);
      console.log(JSON.stringify({
        sameCopy: [fromEsm instanceof esm.InputError, fromCjs instanceof cjs.InputError],
        across: [fromCjs instanceof esm.InputError, fromCjs instanceof esm.ActiveTestingError, fromEsm instanceof cjs.InputError, fromEsm instanceof cjs.ActiveTestingError],
        subclassAcross: new cjs.InterruptedOutputError('out', ['a'], 'done', 'run') instanceof esm.OutputExistsError,
        otherClass: [fromCjs instanceof esm.FileFormatError, fromCjs instanceof esm.UsageError],
        lookalike: Object.assign(new Error('x'), { name: 'InputError' }) instanceof esm.InputError,
        referenceSame: [esmReference.LUREEstimator === esm.LUREEstimator, cjsReference.LUREEstimator === cjs.LUREEstimator],
        renamed: [...names(esm), ...names(cjs)],
      }));`;
    writeFileSync(join(project, 'instanceof.mjs'), script);
    const result = JSON.parse(execFileSync(process.execPath, ['instanceof.mjs'], { cwd: project, encoding: 'utf8' })) as unknown;
    expect(result).toEqual({
      sameCopy: [true, true],
      across: [true, true, true, true],
      subclassAcross: true,
      otherClass: [false, false],
      lookalike: false,
      referenceSame: [true, true],
      renamed: [],
    });
  });

  it('type-checks a realistic program under moduleResolution node16, nodenext and bundler, exactOptionalPropertyTypes and target es2020', () => {
    const configs = {
      node16: { module: 'node16', moduleResolution: 'node16' },
      nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
      bundler: { module: 'esnext', moduleResolution: 'bundler' },
      'bundler-preserve': { module: 'preserve', moduleResolution: 'bundler' },
      // Both common in projects that check libraries' declarations (skipLibCheck false): the
      // declarations must neither rely on `row?: number` taking an undefined nor name ES2022's types.
      exactOptional: { module: 'nodenext', moduleResolution: 'nodenext', exactOptionalPropertyTypes: true },
      es2020: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2020' },
    };
    for (const [name, resolution] of Object.entries(configs)) {
      const config = `tsconfig.program-${name}.json`;
      const compilerOptions = { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', types: ['node'], ...resolution };
      writeFileSync(join(project, config), JSON.stringify({ compilerOptions, files: ['program.ts'] }));
      expect(compilerErrors(project, config), name).toBe('');
    }
  });

  it('compiles with lib es2022 and no types of its own (no DOM, no @types/node), as ES modules and as CommonJS', () => {
    // The package brings Node's types: a consumer that lists none, or that never installed
    // @types/node, still finds AbortSignal and the rest its declarations use.
    const compilerOptions = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: 'es2022',
      lib: ['es2022'],
      module: 'nodenext',
      types: [],
    };
    writeFileSync(join(project, 'tsconfig.lib-only.json'), JSON.stringify({ compilerOptions, files: ['lib-only.mts', 'lib-only.cts'] }));
    expect(compilerErrors(project, 'tsconfig.lib-only.json')).toBe('');
  });

  it("runs the README's self-contained examples as written", () => {
    // Blocks that leave no name to the reader (the quick start).
    const runnable = docBlocks().filter((block) => block.file === 'README.md' && block.declarations.length === 0);
    expect(runnable.length).toBeGreaterThan(0);
    for (const block of runnable) {
      const js = ts.transpileModule(block.code, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(project, `${block.name}.mjs`), js);
      const output = execFileSync(process.execPath, [`${block.name}.mjs`], { cwd: project, encoding: 'utf8' });
      expect(output, block.name).toMatch(/^true risk 0\.\d{4}\nMSE after 200 labels: active \d\.\d\de-\d+, random \d\.\d\de-\d+\n$/);
    }
  });

  it('compiles under strict settings without skipLibCheck, as ES modules and as CommonJS', () => {
    const base = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: ['node'],
    };
    const esmFiles = ['types.ts', ...docBlocks().map((b) => `${b.name}.ts`)];
    writeFileSync(join(project, 'tsconfig.esm.json'), JSON.stringify({ compilerOptions: base, files: esmFiles }));
    writeFileSync(join(project, 'tsconfig.cjs.json'), JSON.stringify({ compilerOptions: base, files: ['types.cts'] }));
    // A CommonJS project (`"type": "commonjs"`, the npm default) type-checks the package's .d.cts
    // from a plain .ts file too, where an import of an ES module's types would be refused.
    const commonjs = join(project, 'commonjs');
    mkdirSync(commonjs);
    writeFileSync(join(commonjs, 'package.json'), JSON.stringify({ name: 'commonjs-consumer', private: true, type: 'commonjs' }));
    cpSync(join(project, 'types.cts'), join(commonjs, 'types.ts'));
    writeFileSync(
      join(commonjs, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16' }, files: ['types.ts'] }),
    );
    for (const config of ['tsconfig.esm.json', 'tsconfig.cjs.json', 'commonjs/tsconfig.json']) {
      expect(compilerErrors(project, config), config).toBe('');
    }
  });

  it('returns what its types declare, as a consumer with exactOptionalPropertyTypes reads them', () => {
    // Absent is not undefined there: `'comparison' in estimate` must say whether there is one.
    const compilerOptions = {
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      types: ['node'],
      outDir: 'shapes-out',
    };
    writeFileSync(join(project, 'tsconfig.shapes.json'), JSON.stringify({ compilerOptions, files: ['shapes.ts'] }));
    expect(compilerErrors(project, 'tsconfig.shapes.json')).toBe('');
    writeFileSync(
      join(project, 'shapes-run.mjs'),
      `import { probes } from './shapes-out/shapes.js';\n${DESCRIBE_SOURCE}\nconsole.log(JSON.stringify(describeValue(probes)));\n`,
    );
    const described = JSON.parse(execFileSync(process.execPath, ['shapes-run.mjs'], { cwd: project, encoding: 'utf8' })) as Described;
    const { options } = ts.convertCompilerOptionsFromJson(compilerOptions, project);
    const program = ts.createProgram([join(project, 'shapes.ts')], { ...options, noEmit: true });
    const checker = program.getTypeChecker();
    const probes = program
      .getSourceFile(join(project, 'shapes.ts'))!
      .statements.filter(ts.isVariableStatement)
      .flatMap((statement) => [...statement.declarationList.declarations])
      .find((declaration) => ts.isIdentifier(declaration.name) && declaration.name.text === 'probes')!;
    expect(shapeMismatches(checker, checker.getTypeAtLocation(probes.name), described, 'probes')).toEqual([]);
  });

  it("compiles the declarations' @example blocks under exactOptionalPropertyTypes and noUncheckedIndexedAccess", () => {
    // The names an example leaves to the reader (`session`, `error`) are not checked, nor what
    // is typed through them (a callback given to a method of `model`), nor a line whose comment
    // says it throws (`new Model(42); // InputError: …`); everything else the example does with
    // the package is. An example that is not code (`{ ... }`) is skipped.
    const free = new Set([2304, 2552, 18004]);
    const files: string[] = [];
    const dist = join(project, 'node_modules/active-testing/dist');
    // Every name of active-testing/reference is exported by the root too.
    const exported = new Set(exportedNames(readFileSync(join(dist, 'index.d.ts'), 'utf8')));
    // The examples of the declarations bundled into a shared chunk are in that chunk's file.
    for (const file of readdirSync(dist).filter((name) => name.endsWith('.d.ts'))) {
      for (const [, comment] of readFileSync(join(dist, file), 'utf8').matchAll(/@example\n((?:[ \t]*\*(?!\/).*\n)+?)[ \t]*\*(?:\/| @)/g)) {
        const code = comment!.replace(/^[ \t]*\* ?/gm, '');
        if ((ts.transpileModule(code, { reportDiagnostics: true }).diagnostics ?? []).length > 0) continue;
        const used = [...identifiersIn(code)].filter((name) => exported.has(name));
        const name = `example-${files.length}.ts`;
        // Inside a function, so that a name the example declares shadows an import of the same name.
        const header = used.length > 0 ? `import { ${used.join(', ')} } from 'active-testing';\n` : '';
        writeFileSync(join(project, name), `${header}export async function example(): Promise<void> {\n${code}}\n`);
        files.push(name);
      }
    }
    expect(files.length).toBeGreaterThan(100);
    const { options } = ts.convertCompilerOptionsFromJson(
      {
        strict: true,
        noImplicitAny: false,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        module: 'nodenext',
        target: 'es2022',
        types: ['node'],
        noEmit: true,
      },
      project,
    );
    const program = ts.createProgram(
      files.map((file) => join(project, file)),
      options,
    );
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => {
        const { file, start } = diagnostic;
        if (free.has(diagnostic.code) || file === undefined || start === undefined || !files.includes(basename(file.fileName)))
          return false;
        const line = file.text.split('\n')[file.getLineAndCharacterOfPosition(start).line]!;
        return !/\/\/.*(?:\w+Error\b|\bthrows\b)/.test(line);
      })
      .map((diagnostic) => `${basename(diagnostic.file!.fileName)}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    expect(errors).toEqual([]);
  });
});

/** The names a declaration bundle exports. */
function exportedNames(declarations: string): string[] {
  const source = ts.createSourceFile('index.d.ts', declarations, ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) =>
    ts.isExportDeclaration(statement) && statement.exportClause !== undefined && ts.isNamedExports(statement.exportClause)
      ? statement.exportClause.elements.map((element) => element.name.text)
      : [],
  );
}
