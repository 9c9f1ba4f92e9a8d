import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The `@example` blocks of the doc comments in src/ promise results in trailing comments
// (`stableSoftmax(...).data; // [0.25, 0.75]`); this test runs every example it can and holds the
// code to what the comment claims.
//
// What is checked. Each example block is parsed as TypeScript, statement by statement. A claim is
// the comment on the line where a statement ends (or a comment alone on the line after it), when
// it has one of these forms; any other comment is prose and its statement is only run:
//   - a value: a number, string, true/false/null/undefined, NaN/Infinity, a bigint, or an array or
//     object of those, optionally after a typed array's name (`Int32Array [1, 2, 0]`, which then
//     checks the class too). Prose after the value is ignored when it follows `:`, `;`, `,`, ` (`
//     or ` — `; in `(0.6 + 0.8) / 2 = 0.7` the text after the last ` = ` is the value, and in
//     `2 / ln 2 ≈ 2.885` the text after the last ` ≈ ` is an approximate value.
//   - arithmetic on such values: `−`, `·`, `×`, `ln x`, `min(…)`, `ε` (Number.EPSILON),
//     e.g. `[0.05/1.1, 1/1.1]` or `(−ln 0.75 + ln 2) / 2`.
//   - `≈ value` or `e.g. value`: an approximate or illustrative value.
//   - `throws …` (any error), `XError: fragment … fragment` (an error named XError whose message
//     holds the fragments in order), `passes` or `fine` (no error).
// A statement `const x = expr; // value` claims the value of `expr`; `…; // x → value` (as in
// `floorProposalInPlace(buffer, …); // buffer → [0.5, 0.5, 0, 9]`) claims `x` after the statement.
// An `e.g.` string (a path with a date, a hash) is prose: it shows a shape, not a value.
//
// How values compare. Strings, booleans, null and bigints: exactly, except that a claimed string
// ending in `…` only has to start the actual one. Numbers:
//   - a plain literal written with 15 or more significant digits (`0.6000000000000001`) is a
//     float's exact printout: it must be equal to the last bit;
//   - any other plain literal (`0.25`, `1e-15`): within 1e-12 relative (absolute below 1), since
//     the comment states the mathematical value and the code may round;
//   - arithmetic claims: within 1e-9 relative (absolute below 1), which also absorbs the few-ε
//     widenings they spell out;
//   - `≈` and `e.g.` claims: to the printed digits, i.e. within half a unit of the last decimal
//     written in the claim, or within 1e-3 relative if that is looser.
// Arrays compare element by element; typed arrays as arrays. Objects must have the same keys
// (a key whose value is undefined counts as absent).
//
// What is skipped. An example runs, in an empty scratch folder, against the exports of the module
// its comment is in, then those of src/index.ts, then JavaScript's globals. A statement naming
// anything else (`heldOutScores`, `model`, `f`) or an export in NOT_RUN cannot run: it is skipped,
// and so is every later statement using the names it declares. A block that does not parse
// (`try { ... }`) is skipped whole, and only a block without claims may. Skipped claims are
// counted; DOC_EXAMPLES_VERBOSE=1 lists every claim checked or skipped and every comment read as
// prose, for reading the rest by eye. The number checked must stay at CHECKED_FLOOR or above, so
// that the test cannot quietly check nothing.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(repoRoot, 'src');
const verbose = process.env.DOC_EXAMPLES_VERBOSE === '1';

/** Exports whose examples are never run, and why; the claims that need them are skipped. */
const NOT_RUN: Record<string, string> = {
  runDemo: 'runDemo simulates for seconds and writes a folder of results',
  fetchHubTable: 'fetchHubTable reads the Hugging Face Hub over the network',
  probeHubTable: 'probeHubTable reads the Hugging Face Hub over the network',
};

/** The least number of claims the test must check; raise it as examples are added. */
const CHECKED_FLOOR = 216;

type Tolerance = 'exact' | 'literal' | 'arithmetic' | 'approximate';

type Claim =
  | { kind: 'value'; value: unknown; tolerance: Tolerance; decimals: number; typedArray: string | null; text: string }
  | { kind: 'throws'; errorName: string | null; fragments: string[]; text: string }
  | { kind: 'passes'; text: string };

interface ExampleStatement {
  /** JavaScript of the statement. */
  code: string;
  /** 1-based line of the statement's end in the source file. */
  line: number;
  /** Names the statement uses from outside itself. */
  uses: string[];
  /** Names it declares for later statements. */
  declares: string[];
  claim: Claim | null;
  /** What the claim is about: the expression's value, or a name read after the statement. */
  subject: { kind: 'expression'; code: string } | { kind: 'name'; name: string } | null;
  source: string;
}

interface ExampleBlock {
  file: string;
  line: number;
  statements: ExampleStatement[];
  parses: boolean;
  claimLines: number[];
}

// ---------------------------------------------------------------------------------------------
// Finding the examples

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return path === join(srcDir, 'serve', 'page') ? [] : sourceFiles(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

/** The `@example` blocks of `file`: the doc-comment lines after the tag, up to the next tag or the comment's end. */
function exampleBlocks(file: string): { line: number; lines: { text: string; line: number }[] }[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: { line: number; lines: { text: string; line: number }[] }[] = [];
  lines.forEach((text, index) => {
    if (!/^\s*\*\s*@example\b/.test(text)) return;
    const body: { text: string; line: number }[] = [];
    for (let j = index + 1; j < lines.length; j++) {
      const line = lines[j] as string;
      if (line.includes('*/') || /^\s*\*\s*@\w/.test(line)) break;
      body.push({ text: line.replace(/^\s*\* ?/, ''), line: j + 1 });
    }
    blocks.push({ line: index + 1, lines: body });
  });
  return blocks;
}

// ---------------------------------------------------------------------------------------------
// Reading claims

const TYPED_ARRAYS = ['Float64Array', 'Float32Array', 'Int32Array', 'Uint32Array', 'Uint8Array', 'BigInt64Array'];
/** Identifiers a claim may contain (after `ln`, `ε` and `min` are spelt as JavaScript). */
const CLAIM_NAMES = new Set(['Math', 'log', 'min', 'max', 'sqrt', 'exp', 'EPS', 'true', 'false', 'null', 'undefined', 'NaN', 'Infinity']);

/** The text of the value at the start of `text`, cut before prose that follows it at bracket depth 0. */
function valueText(text: string): string {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return text;
      i = end;
      continue;
    }
    if ('([{'.includes(c)) {
      if (c === '(' && depth === 0 && i > 0 && text[i - 1] === ' ') return text.slice(0, i).trim();
      depth++;
    } else if (')]}'.includes(c)) depth--;
    else if (depth === 0 && (c === ':' || c === ';' || c === ',' || c === '—')) return text.slice(0, i).trim();
  }
  return text.trim();
}

/** `text` with the notation of the comments (`−`, `·`, `ln 2`, `7ε`, `min(…)`) spelt as JavaScript. */
function asJavaScript(text: string): string {
  // Strings are kept as they are: only the text between them is translated.
  return text
    .split(/('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/)
    .map((part, i) => (i % 2 === 1 ? part : notationAsJavaScript(part)))
    .join('');
}

function notationAsJavaScript(text: string): string {
  return text
    .replace(/−/g, '-')
    .replace(/[·×]/g, '*')
    .replace(/\bln\s*\(/g, 'Math.log(')
    .replace(/\bln\s+([\d.]+(?:e[-+]?\d+)?)/g, 'Math.log($1)')
    .replace(/(\d)\s*ε/g, '$1 * EPS')
    .replace(/ε/g, 'EPS')
    .replace(/(^|[^.\w])min\(/g, '$1Math.min(');
}

/** The claim a comment makes, or null for prose. */
function parseClaim(comment: string): Claim | null {
  const text = comment.trim();
  if (/^throws\b/.test(text)) return { kind: 'throws', errorName: null, fragments: [], text };
  const named = /^(\w*Error): (.*)$/.exec(text);
  if (named !== null) {
    const fragments = (named[2] as string)
      .split(/…|\.\.\./)
      .map((f) => f.trim())
      .filter((f) => f !== '');
    return { kind: 'throws', errorName: named[1] as string, fragments, text };
  }
  if (/^(passes|fine)\b/.test(text)) return { kind: 'passes', text };
  let rest = text;
  let approximate = false;
  const marker = /^(e\.g\.|≈)\s*/.exec(rest);
  if (marker !== null) {
    approximate = true;
    rest = rest.slice(marker[0].length);
  }
  let typedArray: string | null = null;
  const typed = new RegExp(`^(${TYPED_ARRAYS.join('|')})\\s+(?=\\[)`).exec(rest);
  if (typed !== null) {
    typedArray = typed[1] as string;
    rest = rest.slice(typed[0].length);
  }
  let value = valueText(rest);
  // `(0.6 + 0.8) / 2 = 0.7`, `2 / ln 2 ≈ 2.885`: the value is the last term (approximate after `≈`).
  const terms = /^['"]/.test(value) ? [value] : value.split(/ = | ≈ /);
  if (terms.length > 1) {
    if (!terms.slice(0, -1).every((term) => scanClaim(asJavaScript(term)) !== null)) return null;
    if (value.includes(' ≈ ')) approximate = true;
    value = (terms.at(-1) as string).trim();
  }
  if (value === '') return null;
  const js = asJavaScript(value);
  const scanned = scanClaim(js);
  if (scanned === null) return null;
  let evaluated: unknown;
  try {
    evaluated = new Function('EPS', `return (${js});`)(Number.EPSILON);
  } catch {
    return null;
  }
  if (typeof evaluated === 'function') return null;
  // An illustrative text (a path with a date, a hash) is prose, not a value to hold the code to.
  if (approximate && typeof evaluated === 'string') return null;
  const tolerance: Tolerance = approximate ? 'approximate' : scanned.arithmetic ? 'arithmetic' : scanned.longLiteral ? 'exact' : 'literal';
  return { kind: 'value', value: evaluated, tolerance, decimals: scanned.decimals, typedArray, text };
}

function isName(token: ts.SyntaxKind): boolean {
  return token === ts.SyntaxKind.Identifier || (token >= ts.SyntaxKind.FirstKeyword && token <= ts.SyntaxKind.LastKeyword);
}

/**
 * Whether `js` is made only of literals, the names in CLAIM_NAMES, object keys and operators;
 * whether it computes anything; whether a number in it is written to 15 significant digits or more;
 * and the most decimals a number in it is written with.
 */
function scanClaim(js: string): { arithmetic: boolean; longLiteral: boolean; decimals: number } | null {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, js);
  let arithmetic = false;
  let longLiteral = false;
  let decimals = 0;
  let previous: ts.SyntaxKind | null = null;
  const braces: string[] = [];
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    const text = scanner.getTokenText();
    switch (token) {
      case ts.SyntaxKind.NumericLiteral: {
        const mantissa = text.replace(/_/g, '').split(/e/i)[0] as string;
        const digits = mantissa.replace('.', '').replace(/^0+/, '');
        if (digits.length >= 15) longLiteral = true;
        const point = mantissa.indexOf('.');
        const exponent = Number(text.split(/e/i)[1] ?? 0);
        decimals = Math.max(decimals, (point < 0 ? 0 : mantissa.length - point - 1) - exponent);
        break;
      }
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.BigIntLiteral:
      case ts.SyntaxKind.TrueKeyword:
      case ts.SyntaxKind.FalseKeyword:
      case ts.SyntaxKind.NullKeyword:
      case ts.SyntaxKind.CommaToken:
        break;
      case ts.SyntaxKind.OpenBracketToken:
      case ts.SyntaxKind.OpenBraceToken:
      case ts.SyntaxKind.OpenParenToken:
        braces.push(text);
        if (token === ts.SyntaxKind.OpenParenToken) arithmetic = true;
        break;
      case ts.SyntaxKind.CloseBracketToken:
      case ts.SyntaxKind.CloseBraceToken:
      case ts.SyntaxKind.CloseParenToken:
        braces.pop();
        break;
      case ts.SyntaxKind.ColonToken:
        if (braces.at(-1) !== '{') return null;
        break;
      case ts.SyntaxKind.MinusToken:
        // A minus sign after an operand is a subtraction; otherwise it is part of a literal.
        if (
          previous === ts.SyntaxKind.NumericLiteral ||
          previous === ts.SyntaxKind.CloseParenToken ||
          previous === ts.SyntaxKind.Identifier
        )
          arithmetic = true;
        break;
      case ts.SyntaxKind.PlusToken:
      case ts.SyntaxKind.AsteriskToken:
      case ts.SyntaxKind.SlashToken:
      case ts.SyntaxKind.DotToken:
        arithmetic = true;
        break;
      default: {
        // Names and keywords: `Math`, `NaN`, `undefined`, or an object key such as `type`.
        if (!isName(token)) return null;
        const next = js.slice(scanner.getTokenEnd()).trimStart();
        const isKey = braces.at(-1) === '{' && next.startsWith(':');
        if (!isKey && !CLAIM_NAMES.has(text)) return null;
        if (text !== 'NaN' && text !== 'Infinity' && text !== 'undefined' && !isKey) arithmetic = true;
        break;
      }
    }
    previous = isName(token) ? ts.SyntaxKind.Identifier : token;
  }
  return braces.length === 0 ? { arithmetic, longLiteral, decimals } : null;
}

// ---------------------------------------------------------------------------------------------
// Parsing the example code

/** Comments on example statements that are not claims in a checkable form, for DOC_EXAMPLES_VERBOSE. */
const prose: string[] = [];

function isTypeNode(node: ts.Node): boolean {
  return ts.isTypeNode(node) || ts.isTypeParameterDeclaration(node) || ts.isHeritageClause(node);
}

/** The names `statement` declares at its top (variables, functions, classes). */
function declaredNames(statement: ts.Statement): string[] {
  const names: string[] = [];
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.push(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) bind(d.name);
  if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name !== undefined)
    names.push(statement.name.text);
  return names;
}

/** The identifiers `node` reads from outside itself (types and names it binds itself left out). */
function freeNames(node: ts.Node): string[] {
  const used = new Set<string>();
  const bound = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (isTypeNode(n)) return;
    if (ts.isIdentifier(n)) {
      const parent = n.parent;
      const isName =
        (ts.isPropertyAccessExpression(parent) && parent.name === n) ||
        (ts.isPropertyAssignment(parent) && parent.name === n) ||
        (ts.isMethodDeclaration(parent) && parent.name === n) ||
        (ts.isPropertyDeclaration(parent) && parent.name === n) ||
        (ts.isGetAccessorDeclaration(parent) && parent.name === n) ||
        (ts.isSetAccessorDeclaration(parent) && parent.name === n) ||
        (ts.isBindingElement(parent) && parent.propertyName === n) ||
        (ts.isLabeledStatement(parent) && parent.label === n);
      const isBinding =
        ((ts.isParameter(parent) || ts.isBindingElement(parent) || ts.isVariableDeclaration(parent)) && parent.name === n) ||
        ((ts.isFunctionDeclaration(parent) ||
          ts.isClassDeclaration(parent) ||
          ts.isFunctionExpression(parent) ||
          ts.isClassExpression(parent)) &&
          parent.name === n);
      if (isBinding) bound.add(n.text);
      else if (!isName) used.add(n.text);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return [...used].filter((name) => !bound.has(name));
}

function transpile(code: string): string {
  return ts
    .transpileModule(code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: true } })
    .outputText.trim();
}

/** The comment that states `statement`'s result: on its last line, or alone on the line after it. */
function claimComment(code: string, source: ts.SourceFile, statement: ts.Statement): string | null {
  const trailing = ts.getTrailingCommentRanges(code, statement.end) ?? [];
  const leading = trailing.length > 0 ? [] : (ts.getLeadingCommentRanges(code, statement.end) ?? []);
  const range = trailing[0] ?? leading[0];
  if (range === undefined || range.kind !== ts.SyntaxKind.SingleLineCommentTrivia) return null;
  const endLine = source.getLineAndCharacterOfPosition(statement.end).line;
  const commentLine = source.getLineAndCharacterOfPosition(range.pos).line;
  if (commentLine > endLine + 1) return null;
  return code.slice(range.pos + 2, range.end);
}

function parseBlock(file: string, block: { line: number; lines: { text: string; line: number }[] }): ExampleBlock {
  const code = block.lines.map((l) => l.text).join('\n');
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const diagnostics = (source as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics;
  const statements: ExampleStatement[] = [];
  const claimLines: number[] = [];
  for (const statement of source.statements) {
    const endLine = source.getLineAndCharacterOfPosition(statement.end).line;
    const line = block.lines[endLine]?.line ?? block.line;
    const comment = claimComment(code, source, statement);
    let claim: Claim | null = null;
    let subject: ExampleStatement['subject'] = null;
    if (comment !== null) {
      const arrow = /^\s*(\w+) → (.*)$/.exec(comment);
      const parsed = parseClaim(arrow === null ? comment : (arrow[2] as string));
      if (parsed !== null) {
        if (arrow !== null) subject = { kind: 'name', name: arrow[1] as string };
        else if (ts.isExpressionStatement(statement))
          subject = { kind: 'expression', code: transpile(`(${statement.expression.getText(source)});`) };
        else if (ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
          const declaration = statement.declarationList.declarations[0] as ts.VariableDeclaration;
          if (ts.isIdentifier(declaration.name)) subject = { kind: 'name', name: declaration.name.text };
        }
        if (subject !== null) {
          claim = { ...parsed, text: comment.trim() };
          claimLines.push(line);
        }
      }
      if (claim === null) prose.push(`${relative(repoRoot, file)}:${line}: ${statement.getText(source)} //${comment}`);
    }
    statements.push({
      code: transpile(statement.getText(source)),
      line,
      uses: freeNames(statement),
      declares: declaredNames(statement),
      claim,
      subject,
      source: statement.getText(source),
    });
  }
  return { file, line: block.line, statements, parses: diagnostics.length === 0, claimLines };
}

// ---------------------------------------------------------------------------------------------
// Running them

interface Outcome {
  where: string;
  source: string;
  claim: string;
  status: 'checked' | 'skipped';
  reason?: string;
  problem?: string;
}

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

function isGlobal(name: string): boolean {
  return name in globalThis && !['expect', 'it', 'describe', 'vi'].includes(name);
}

async function runBlock(block: ExampleBlock, exports: Record<string, unknown>): Promise<Outcome[]> {
  const where = (line: number): string => `${relative(repoRoot, block.file)}:${line}`;
  const outcomes: Outcome[] = [];
  const skip = (statement: ExampleStatement, reason: string): void => {
    outcomes.push({ where: where(statement.line), source: statement.source, claim: statement.claim!.text, status: 'skipped', reason });
  };
  if (!block.parses) {
    for (const s of block.statements) if (s.claim !== null) skip(s, 'the example does not parse');
    return outcomes;
  }
  // Keep the statements that can run; remember why the others cannot.
  const known = new Set<string>();
  const unavailable = new Map<string, string>();
  const kept: { statement: ExampleStatement; index: number }[] = [];
  const scope = new Map<string, unknown>();
  for (const statement of block.statements) {
    const missing = statement.uses.filter((name) => !known.has(name) && (!(name in exports) || name in NOT_RUN) && !isGlobal(name));
    if (missing.length > 0) {
      const reason = missing.map((name) => unavailable.get(name) ?? NOT_RUN[name] ?? `uses ${name}`).join('; ');
      for (const name of statement.declares) unavailable.set(name, reason);
      if (statement.claim !== null) skip(statement, reason);
      continue;
    }
    for (const name of statement.uses) if (!known.has(name) && name in exports) scope.set(name, exports[name]);
    for (const name of statement.declares) known.add(name);
    kept.push({ statement, index: kept.length });
  }
  let lastClaim = kept.length - 1;
  while (lastClaim >= 0 && kept[lastClaim]!.statement.claim === null) lastClaim--;
  if (lastClaim < 0) return outcomes;
  const run = kept.slice(0, lastClaim + 1);
  const body = run
    .map(({ statement, index }) => {
      if (statement.claim === null) return statement.code;
      const subject = statement.subject!;
      if (subject.kind === 'expression') return `await __record(${index}, async () => ${subject.code.replace(/;$/, '')});`;
      return `${statement.code}\nawait __record(${index}, async () => ${subject.name});`;
    })
    .join('\n');
  const results = new Map<number, { value?: unknown; error?: unknown }>();
  const record = async (index: number, compute: () => Promise<unknown>): Promise<void> => {
    try {
      results.set(index, { value: await compute() });
    } catch (error) {
      results.set(index, { error });
    }
  };
  let blockError: unknown = null;
  try {
    await new AsyncFunction('__record', ...scope.keys(), body)(record, ...scope.values());
  } catch (error) {
    blockError = error;
  }
  for (const { statement, index } of run) {
    if (statement.claim === null) continue;
    const result = results.get(index);
    const outcome: Outcome = { where: where(statement.line), source: statement.source, claim: statement.claim.text, status: 'checked' };
    if (result === undefined) outcome.problem = `an earlier statement threw: ${String(blockError)}`;
    else outcome.problem = compare(statement.claim, result) ?? undefined;
    outcomes.push(outcome);
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// Comparing

/** What is wrong with `result` for `claim`, or null when the claim holds. */
function compare(claim: Claim, result: { value?: unknown; error?: unknown }): string | null {
  if (claim.kind === 'throws') {
    if (!('error' in result)) return `expected an error, got ${show(result.value)}`;
    const error = result.error as Error;
    if (claim.errorName !== null && error?.name !== claim.errorName) return `expected ${claim.errorName}, got ${String(error)}`;
    let from = 0;
    for (const fragment of claim.fragments) {
      const at = String(error?.message).indexOf(fragment, from);
      if (at < 0) return `expected the message to contain ${JSON.stringify(fragment)}, got ${JSON.stringify(error?.message)}`;
      from = at + fragment.length;
    }
    return null;
  }
  if ('error' in result) return `threw ${String(result.error)}`;
  if (claim.kind === 'passes') return null;
  if (claim.typedArray !== null) {
    const name = (result.value as object | null)?.constructor?.name;
    if (name !== claim.typedArray) return `expected a ${claim.typedArray}, got ${show(result.value)}`;
  }
  return same(result.value, claim.value, claim) ? null : `got ${show(result.value)}`;
}

function same(actual: unknown, expected: unknown, claim: Claim & { kind: 'value' }): boolean {
  if (ArrayBuffer.isView(actual) && !(actual instanceof DataView)) actual = Array.from(actual as unknown as ArrayLike<unknown>);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => same(actual[i], e, claim));
  }
  if (typeof expected === 'number') return typeof actual === 'number' && closeEnough(actual, expected, claim);
  if (typeof expected === 'string' && expected.endsWith('…'))
    return typeof actual === 'string' && actual.startsWith(expected.slice(0, -1).trimEnd());
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    const keys = (o: object): string[] =>
      Object.keys(o)
        .filter((k) => (o as Record<string, unknown>)[k] !== undefined)
        .sort();
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    return JSON.stringify(keys(a)) === JSON.stringify(keys(e)) && keys(e).every((k) => same(a[k], e[k], claim));
  }
  return actual === expected;
}

function closeEnough(actual: number, expected: number, claim: Claim & { kind: 'value' }): boolean {
  if (Object.is(actual, expected) || actual === expected) return true;
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return false;
  const scale = Math.max(1, Math.abs(expected));
  switch (claim.tolerance) {
    case 'exact':
      return false;
    case 'literal':
      return Math.abs(actual - expected) <= 1e-12 * scale;
    case 'arithmetic':
      return Math.abs(actual - expected) <= 1e-9 * scale;
    case 'approximate':
      return Math.abs(actual - expected) <= Math.max(0.5 * 10 ** -claim.decimals, 1e-3 * Math.abs(expected));
  }
}

function show(value: unknown): string {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return `${value.constructor.name} [${Array.from(value as unknown as ArrayLike<unknown>)
      .map(String)
      .join(', ')}]`;
  }
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) =>
        typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------------------------------------

const blocks = sourceFiles(srcDir).flatMap((file) => exampleBlocks(file).map((block) => parseBlock(file, block)));
const withClaims = blocks.filter((block) => block.claimLines.length > 0);
const index = (await import(pathToFileURL(join(srcDir, 'index.ts')).href)) as Record<string, unknown>;
const outcomes: Outcome[] = [];
// The examples run in an empty scratch folder, so that one writing files cannot touch the checkout.
const cwd = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), 'doc-examples-'));
process.chdir(scratch);
try {
  for (const block of withClaims) {
    const own = (await import(pathToFileURL(block.file).href)) as Record<string, unknown>;
    outcomes.push(...(await runBlock(block, { ...index, ...own })));
  }
} finally {
  process.chdir(cwd);
  rmSync(scratch, { recursive: true, force: true });
}
const checked = outcomes.filter((o) => o.status === 'checked');
const skipped = outcomes.filter((o) => o.status === 'skipped');
console.log(
  `doc examples: ${blocks.length} @example blocks, ${outcomes.length} claims: ${checked.length} checked, ${skipped.length} skipped`,
);
if (verbose) {
  for (const line of prose) console.log(`prose ${line}`);
  for (const o of skipped) console.log(`skipped ${o.where}: ${o.source} // ${o.claim} (${o.reason})`);
  for (const o of checked) console.log(`checked ${o.where}: ${o.source} // ${o.claim}${o.problem === undefined ? '' : `  ✗ ${o.problem}`}`);
}

describe('@example claims in src/', () => {
  it(`checks at least ${CHECKED_FLOOR} claims`, () => {
    expect(checked.length).toBeGreaterThanOrEqual(CHECKED_FLOOR);
  });

  it('parses every example that makes a claim (prose inside an @example is shown as code)', () => {
    const unparsed = blocks
      .filter((block) => block.claimLines.length > 0 && !block.parses)
      .map((block) => `${relative(repoRoot, block.file)}:${block.line}`);
    expect(unparsed).toEqual([]);
  });

  const byFile = new Map<string, Outcome[]>();
  for (const o of checked) {
    const file = o.where.replace(/:\d+$/, '');
    byFile.set(file, [...(byFile.get(file) ?? []), o]);
  }
  for (const [file, list] of byFile) {
    it(`${file}: ${list.length} claim${list.length === 1 ? '' : 's'} hold`, () => {
      const wrong = list.filter((o) => o.problem !== undefined).map((o) => `${o.where}: ${o.source} // ${o.claim}\n  ${o.problem}`);
      expect(wrong).toEqual([]);
    });
  }
});
