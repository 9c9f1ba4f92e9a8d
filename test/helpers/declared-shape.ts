import ts from 'typescript';

// Whether the values a program got from the package have the shapes their declared types say, as
// a consumer compiled with exactOptionalPropertyTypes reads them: a property declared `x?: T` is
// absent or a T (present and undefined only where its declaration says `| undefined`), a required
// one is there, a Float64Array is not a number[], and an object holds no enumerable property its
// type does not name. The values are described in the program's own process (`describeValue`,
// whose source is `DESCRIBE_SOURCE`) and compared here with the types the compiler gives them.

/** A runtime value as `describeValue` tells it: enough to hold it against a declared type. */
export type Described =
  | { t: 'null' | 'undefined' | 'function' | 'number' | 'bigint' }
  | { t: 'string'; v: string }
  | { t: 'boolean'; v: boolean }
  | { t: 'typed'; name: string }
  | { t: 'array'; items: Described[] }
  | { t: 'object'; props: Record<string, Described>; enumerable: string[] };

/**
 * JavaScript of `describeValue(value)`, for the program under test to print its values with: an
 * object's own properties and the getters of its classes (an error's `message`, a class's
 * accessors), the first items of an array.
 */
export const DESCRIBE_SOURCE = `function describeValue(value, depth = 0) {
  if (value === null) return { t: 'null' };
  if (value === undefined) return { t: 'undefined' };
  if (typeof value === 'string' || typeof value === 'boolean') return { t: typeof value, v: value };
  if (typeof value !== 'object') return { t: typeof value };
  if (ArrayBuffer.isView(value)) return { t: 'typed', name: value.constructor.name };
  if (depth > 8) return { t: 'object', props: {}, enumerable: [] };
  if (Array.isArray(value)) return { t: 'array', items: value.slice(0, 4).map((item) => describeValue(item, depth + 1)) };
  const props = {};
  for (const key of Object.getOwnPropertyNames(value)) props[key] = describeValue(value[key], depth + 1);
  for (let proto = Object.getPrototypeOf(value); proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto))
    for (const [key, property] of Object.entries(Object.getOwnPropertyDescriptors(proto)))
      if (property.get !== undefined && !(key in props)) props[key] = describeValue(value[key], depth + 1);
  return { t: 'object', props, enumerable: Object.keys(value) };
}`;

/** Classes held by their name alone: their contents are the platform's. */
const OPAQUE = new Set(['Map', 'Set', 'Promise', 'RegExp', 'Date', 'AbortSignal', 'ArrayBuffer']);

/** Where `value` differs from `type`, one line each ('' path: the value itself); empty when it matches. */
export function shapeMismatches(checker: ts.TypeChecker, type: ts.Type, value: Described, path: string): string[] {
  const says = (text: string): string[] => [`${path}: ${text}, declared ${checker.typeToString(type)}`];
  const flags = type.flags;
  if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) return [];
  if (type.isUnion()) {
    const tries = type.types.map((member) => shapeMismatches(checker, member, value, path));
    if (tries.some((problems) => problems.length === 0)) return [];
    // The member whose contents the value differs in (an object type it goes into), fewest first.
    const inner = tries.filter((problems) => problems.every((line) => !line.startsWith(`${path}: `)));
    return inner.length > 0 ? inner.reduce((a, b) => (b.length < a.length ? b : a)) : says(`got ${kind(value)}`);
  }
  if (type.isIntersection()) return type.types.flatMap((member) => shapeMismatches(checker, member, value, path));
  if (flags & ts.TypeFlags.NumberLike) return value.t === 'number' ? [] : says(`got ${kind(value)}`);
  if (flags & ts.TypeFlags.BigIntLike) return value.t === 'bigint' ? [] : says(`got ${kind(value)}`);
  if (flags & ts.TypeFlags.StringLiteral)
    return value.t === 'string' && value.v === (type as ts.StringLiteralType).value ? [] : says(`got ${kind(value)}`);
  if (flags & ts.TypeFlags.StringLike) return value.t === 'string' ? [] : says(`got ${kind(value)}`);
  if (flags & ts.TypeFlags.BooleanLiteral)
    return value.t === 'boolean' && String(value.v) === checker.typeToString(type) ? [] : says(`got ${kind(value)}`);
  if (flags & ts.TypeFlags.BooleanLike) return value.t === 'boolean' ? [] : says(`got ${kind(value)}`);
  if (flags & ts.TypeFlags.Null) return value.t === 'null' ? [] : says(`got ${kind(value)}`);
  if (flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return value.t === 'undefined' ? [] : says(`got ${kind(value)}`);
  if (!(flags & (ts.TypeFlags.Object | ts.TypeFlags.NonPrimitive))) return says(`a type this check does not know, got ${kind(value)}`);
  const name = type.getSymbol()?.getName() ?? '';
  if (/^(?:Big)?(?:Int|Uint|Float)(?:8|16|32|64)(?:Clamped)?Array$/.test(name))
    return value.t === 'typed' && value.name === name ? [] : says(`got ${kind(value)}`);
  if (name === 'ArrayLike') return value.t === 'array' || value.t === 'typed' ? [] : says(`got ${kind(value)}`);
  if (type.getCallSignatures().length > 0) return value.t === 'function' ? [] : says(`got ${kind(value)}`);
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    if (value.t !== 'array') return says(`got ${kind(value)}`);
    const items = checker.getTypeArguments(type as ts.TypeReference);
    return value.items.flatMap((item, i) => shapeMismatches(checker, items[Math.min(i, items.length - 1)]!, item, `${path}[${i}]`));
  }
  if (OPAQUE.has(name)) return value.t === 'object' ? [] : says(`got ${kind(value)}`);
  if (value.t !== 'object') return says(`got ${kind(value)}`);
  const problems: string[] = [];
  const declared = new Set<string>();
  for (const property of checker.getPropertiesOfType(type)) {
    const key = property.getName();
    declared.add(key);
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    // Methods live on prototypes, private fields (`#private` in a declaration) are hidden;
    // `stack` is the engine's, not the package's.
    if (
      key.startsWith('#') ||
      declaration === undefined ||
      ts.isMethodDeclaration(declaration) ||
      ts.isMethodSignature(declaration) ||
      key === 'stack'
    )
      continue;
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
    const propertyType = checker.getTypeOfSymbol(property);
    const got = value.props[key];
    if (got === undefined) {
      if (!optional) problems.push(`${path}.${key}: missing, declared ${checker.typeToString(propertyType)}`);
    } else if (optional && got.t === 'undefined' && !saysUndefined(declaration)) {
      problems.push(
        `${path}.${key}: present and undefined, declared ${key}?: ${checker.typeToString(checker.getNonNullableType(propertyType))}`,
      );
    } else {
      problems.push(...shapeMismatches(checker, propertyType, got, `${path}.${key}`));
    }
  }
  const index = checker.getIndexInfosOfType(type)[0];
  for (const key of value.enumerable.filter((k) => !declared.has(k))) {
    if (index === undefined)
      problems.push(`${path}.${key}: ${kind(value.props[key]!)} that ${checker.typeToString(type)} does not declare`);
    else problems.push(...shapeMismatches(checker, index.type, value.props[key]!, `${path}[${JSON.stringify(key)}]`));
  }
  return problems;
}

/** Whether a property's declaration takes undefined in so many words (`x?: T | undefined`, `x?: unknown`). */
function saysUndefined(declaration: ts.Declaration): boolean {
  const written = (declaration as { type?: ts.TypeNode }).type;
  if (written === undefined) return false;
  const text = written.getText();
  return /\bundefined\b/.test(text) || text === 'unknown' || text === 'any';
}

function kind(value: Described): string {
  if (value.t === 'typed') return `a ${value.name}`;
  if (value.t === 'string') return `the string ${JSON.stringify(value.v).slice(0, 40)}`;
  if (value.t === 'object') return `an object {${Object.keys(value.props).slice(0, 6).join(', ')}}`;
  return value.t === 'array' ? 'an array' : `a ${value.t}`;
}
