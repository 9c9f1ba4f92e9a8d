import { readFileSync } from 'node:fs';

/** Replaced with the package.json version by the build (tsup `define`); absent when running from source. */
declare const __PACKAGE_VERSION__: string | undefined;

/** Running from source (tests, tsx): the version in the repository's package.json. */
function sourceVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** This package's version, as recorded in result files so they can be traced to the code that made them. */
export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : sourceVersion();
