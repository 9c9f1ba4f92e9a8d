// Loaded into a child CLI process with `node --import` (see `signalSelf` in signal-self.ts): the
// process sends itself a signal the moment it has done one file operation, so that a test stops it
// at that point however late a loaded machine would have let the test's own process notice it.
import { syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';

const spec = process.env.ACTIVE_TESTING_TEST_SIGNAL_SELF;
if (spec !== undefined) {
  /** @type {{ operation: 'open' | 'rename' | 'linkSync', name: string, flags: string, signal: NodeJS.Signals }} */
  const { operation, name, flags, signal } = JSON.parse(spec);
  const matches = new RegExp(name, flags);
  let sent = false;
  // The file a call creates or puts in place: `open`'s path, the destination of `rename` and `linkSync`.
  const signalAfter = (args) => {
    const target = String(operation === 'open' ? args[0] : args[1]);
    if (!sent && matches.test(target.split('/').pop())) {
      sent = true;
      process.kill(process.pid, signal);
    }
  };
  if (operation === 'linkSync') {
    const original = fs.linkSync;
    fs.linkSync = (...args) => {
      original(...args);
      signalAfter(args);
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
