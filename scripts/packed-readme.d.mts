/** Whether the package's `files` field ships `path` (relative to the package root). */
export function isPackedPath(path: string, files: readonly string[]): boolean;
/** The relative link targets of Markdown `text`. */
export function relativeLinks(text: string): string[];
/** `text` (the README) with every relative link pointing at the packed file on unpkg; throws on a link to a file not shipped. */
export function packedReadme(text: string, manifest: { name: string; version: string; files: readonly string[] }, root: string): string;
