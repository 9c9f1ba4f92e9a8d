/** Every export of each published entry point, by name and kind, from the built .d.ts files. */
export function apiExports(): Record<string, Array<{ name: string; kind: string }>>;
/** The runtime (non-type) export names of each entry point. */
export function runtimeExports(): Record<string, string[]>;
/** The report's text (api/public-api.txt) for the current build. */
export function reportText(): string;
