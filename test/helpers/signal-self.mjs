// Loaded into a child CLI process with `node --import` (see `signalSelf` in signal-self.ts): the
// process sends itself a signal the moment it has done one file operation, so that a test stops it
// at that point however late a loaded machine would have let the test's own process notice it.
import { syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';

const spec = process.env.ACTIVE_TESTING_TEST_SIGNAL_SELF;
if (spec !== undefined) {
  /** @type {{ operation: 'open' | 'rename' | 'linkSync' | 'openSync', name: string, flags: string, signal: NodeJS.Signals }} */
  const { operation, name, flags, signal } = JSON.parse(spec);
  const matches = new RegExp(name, flags);
  let sent = false;
  // The file a call opens or puts in place: `open`'s and `openSync`'s path, the destination of `rename` and `linkSync`.
  const signalAfter = (args) => {
    const target = String(operation === 'open' || operation === 'openSync' ? args[0] : args[1]);
    if (!sent && matches.test(target.split('/').pop())) {
      sent = true;
      process.kill(process.pid, signal);
    }
  };
  if (operation === 'linkSync' || operation === 'openSync') {
    const original = fs[operation];
    fs[operation] = (...args) => {
      const result = original(...args);
      signalAfter(args);
      return result;
    };
  } else {
    const original = fsPromises[operation];
    fsPromises[operation] = async (...args) => {
      const result = await original(...args);
      signalAfter(args);
      return result;
    };
  }
  // The CLI imports these functions by name: its bindings follow the objects' properties only once synced.
  syncBuiltinESMExports();
}
