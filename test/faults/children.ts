import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ActiveTestingSession, type CreateSessionOptions } from '../../src/session/session.js';
import { syntheticPool } from '../../src/simulate/syntheticPool.js';

/** The built CLI: child processes start in a fraction of the time tsx takes (`npm test` builds first). */
export const BUILT_CLI = resolve(import.meta.dirname, '../../dist/cli.js');
if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` before the fault-injection tests`);

export interface ChildRun {
  stdout: string;
  stderr: string;
  code: number | null;
  /** Labels the child printed as recorded (on disk): id → class name. */
  acknowledged: Map<string, string>;
  killed: boolean;
}

/** The kill rule: SIGKILL `jitterMs` after the `afterLabels`-th acknowledged label (after start when 0). */
export interface Kill {
  afterLabels: number;
  jitterMs: number;
}

/** A line of a stack trace, which a CLI must never print. */
export const STACK_LINE = /^\s+at .+[(:]\d+/m;

/** Runs the built CLI with the fault-injection delays of `delays` (e.g. `journal:append=4`). */
export function runCli(args: string[], delays: string, kill: Kill | null, user?: string): Promise<ChildRun> {
  return new Promise((done) => {
    const command = user ? 'setpriv' : process.execPath;
    const argv = user
      ? [`--reuid=${user}`, `--regid=${user === 'nobody' ? 'nogroup' : user}`, '--clear-groups', process.execPath, BUILT_CLI, ...args]
      : [BUILT_CLI, ...args];
    const child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ACTIVE_TESTING_FAULT_DELAY_MS: delays },
    });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => child.kill('SIGKILL'), kill!.jitterMs));
    if (kill?.afterLabels === 0) arm();
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (kill && (stdout.match(/^labelled /gm)?.length ?? 0) >= kill.afterLabels) arm();
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const acknowledged = new Map([...stdout.matchAll(/^labelled (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]] as [string, string]));
      done({ stdout, stderr, code, acknowledged, killed: signal === 'SIGKILL' });
    });
  });
}

/** The id of a process that has exited (the owner of a stale lock). */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout as unknown as number;
}

export const CLASSES = ['negative', 'positive'];

/** A session file over a synthetic pool, and an --answers file with every item's true class. */
export async function sessionWithAnswers(
  dir: string,
  size: number,
  seed: number,
): Promise<{ session: string; answers: string; ids: string[] }> {
  const pool = syntheticPool({ poolSize: size, classCount: 2, seed });
  const ids = Array.from({ length: size }, (_, i) => `s${i}`);
  const options: CreateSessionOptions = {
    texts: ids.map((id) => `text of ${id}`),
    ids,
    classes: CLASSES,
    modelScores: pool.modelScores,
    surrogateScores: pool.surrogateScores,
    seed,
  };
  const session = resolve(dir, 'pool.session');
  await (await ActiveTestingSession.create(session, options)).close();
  const answers = resolve(dir, 'answers.tsv');
  writeFileSync(answers, `id\tlabel\n${ids.map((id, i) => `${id}\t${CLASSES[pool.labels[i]]}`).join('\n')}\n`);
  return { session, answers, ids };
}

/** Opens the session in this process and checks that every acknowledged label is in it; returns its labels. */
export async function checkAcknowledged(
  session: string,
  acknowledged: Map<string, string>,
): Promise<{ labelled: number; warnings: string[] }> {
  const warnings: string[] = [];
  const reopened = await ActiveTestingSession.open(session, { onWarning: (m) => warnings.push(m) });
  const history = reopened.history();
  await reopened.close();
  const labels = new Map(history.filter((h) => h.status === 'labelled').map((h) => [h.id, h.label]));
  for (const [id, label] of acknowledged) {
    if (labels.get(id) !== label)
      throw new Error(`acknowledged label ${id} = ${label} is not in ${session} (found ${String(labels.get(id))})`);
  }
  return { labelled: labels.size, warnings };
}
