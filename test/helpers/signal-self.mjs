// Loaded into a child CLI process with `node --import` (see `signalSelfArgs` in signal-self.ts): the
// process sends itself a signal the moment it has done one file operation, so that a test stops it
// at that point however late a loaded machine would have let the test's own process notice it.
import { syncBuiltinESMExports } from 'node:module';
import fs from 'node:fs/promises';

const spec = process.env.ACTIVE_TESTING_TEST_SIGNAL_SELF;
if (spec !== undefined) {
  /** @type {{ operation: 'open' | 'rename', name: string, signal: NodeJS.Signals }} */
  const { operation, name, signal } = JSON.parse(spec);
  const matches = new RegExp(name);
  const original = fs[operation];
  let sent = false;
  // The file a call creates or puts in place: `open`'s path, `rename`'s destination.
  const target = (args) => String(operation === 'rename' ? args[1] : args[0]);
  fs[operation] = async (...args) => {
    const result = await original(...args);
    const base = target(args).split('/').pop();
    if (!sent && matches.test(base)) {
      sent = true;
      process.kill(process.pid, signal);
    }
    return result;
  };
  // The CLI imports these functions by name: its bindings follow the object's properties only once synced.
  syncBuiltinESMExports();
}
