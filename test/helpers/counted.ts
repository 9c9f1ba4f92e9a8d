/**
 * `module` with its function `name` wrapped so that each call adds 1 to `counts[name]`: for the
 * `vi.mock` factories of tests that check how often a piece of work is done.
 */
export function withCountedCalls<M extends object>(module: M, name: keyof M & string, counts: Record<string, number>): M {
  const original = module[name] as (...args: unknown[]) => unknown;
  return {
    ...module,
    [name]: (...args: unknown[]) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return original(...args);
    },
  };
}
