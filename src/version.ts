import packageJson from '../package.json';

/** This package's version, as recorded in result files so they can be traced to the code that made them. */
export const VERSION: string = packageJson.version;
