import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportLabelStudio } from '../../src/cli/label-studio.js';
import { CancelledError } from '../../src/errors.js';
import { ActiveTestingSession } from '../../src/session/session.js';
import { runCliCaptured } from '../helpers/cli.js';
import { CLASSES, createArgs, writePoolFiles } from './cli-pool.js';

interface Task {
  id: number;
  data: { text: string; item: string; position: number };
  annotations: Array<{
    was_cancelled: boolean;
    result: Array<{ from_name: string; to_name: string; type: string; value: { choices: string[] } }>;
  }>;
}

const choice = (name: string) => [
  { was_cancelled: false, result: [{ from_name: 'label', to_name: 'text', type: 'choices', value: { choices: [name] } }] },
];

/** A session of 20 items (pool seed `seed`) whose first proposals, up to `maxLabels`, `label --export` wrote as Label Studio tasks. */
async function exportedSession(seed: number, name: string, maxLabels: number) {
  const files = await writePoolFiles(20, seed);
  const session = join(files.dir, name);
  const tasksPath = join(files.dir, 'tasks.json');
  const exported = await runCliCaptured([
    ...createArgs(files, session, 2),
    '--export',
    'label-studio',
    tasksPath,
    '--max-labels',
    String(maxLabels),
  ]);
  expect(exported.code).toBe(0);
  return { files, session, tasksPath };
}

describe('label --export / --import label-studio', () => {
  // A session made now has proposed nothing, so no export can answer it: it is not created.
  it('refuses to import into a session that does not exist, creating none', async () => {
    const files = await writePoolFiles(30, 12);
    const session = join(files.dir, 'new.session');
    const tasksPath = join(files.dir, 'tasks.json');
    writeFileSync(tasksPath, '[]');
    const refused = await runCliCaptured([...createArgs(files, session, 2), '--import', 'label-studio', tasksPath]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `active-testing label: --import records a Label Studio export into the session that exported its tasks: ${session} does not exist\n` +
        'Run `active-testing label --help` for usage.',
    );
    expect(existsSync(session)).toBe(false);
  });

  it('exports proposals as tasks, imports annotations in proposal order, and refuses items the session did not propose', async () => {
    const files = await writePoolFiles(300, 11);
    const session = join(files.dir, 'ls.session');
    const tasksPath = join(files.dir, 'tasks.json');
    const exported = await runCliCaptured([...createArgs(files, session, 2), '--export', 'label-studio', tasksPath, '--max-labels', '20']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain(`wrote 20 Label Studio tasks to ${tasksPath}`);
    expect(exported.stdout).toContain('<Choice value="negative"/>');
    const tasks = JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[];
    expect(tasks.map((t) => t.data.position)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(tasks.every((t) => t.annotations.length === 0 && t.data.text === files.texts[files.ids.indexOf(t.data.item)])).toBe(true);

    // Label Studio's export: tasks in another order, one skipped, one left unannotated.
    const truth = (item: string) => CLASSES[files.pool.labels[files.ids.indexOf(item)]];
    const annotated = [...tasks].reverse().map((task, i) => ({
      ...task,
      annotations: i === 3 ? [{ was_cancelled: true, result: [] }] : i === 5 ? [] : choice(truth(task.data.item)),
    }));
    const skippedItem = annotated[3].data.item;
    const openItem = annotated[5].data.item;

    // An annotation of an item the session did not propose: refused, nothing recorded.
    const bad = join(files.dir, 'bad.json');
    const stranger = files.ids.find((id) => !tasks.some((t) => t.data.item === id)) as string;
    writeFileSync(bad, JSON.stringify([...annotated, { id: 99, data: { text: 'x', item: stranger }, annotations: choice('positive') }]));
    const before = readFileSync(session);
    const refused = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the session did not propose 1 annotated item(s) (${stranger}); nothing was imported`);
    expect(readFileSync(session).equals(before)).toBe(true);
    // A choice that is not a class (a label config edited by hand): the class meant is suggested.
    const misspelt = annotated.map((task, i) => (i === 0 ? { ...task, annotations: choice('positiv') } : task));
    writeFileSync(bad, JSON.stringify(misspelt));
    const unknownClass = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', bad]);
    expect(unknownClass.code).toBe(1);
    expect(unknownClass.stderr).toBe(
      `active-testing label: --import: ${bad}: item ${annotated[0].data.item}: "positiv" is not a class (negative, positive) (did you mean positive?)`,
    );
    expect(readFileSync(session).equals(before)).toBe(true);

    const good = join(files.dir, 'export.json');
    writeFileSync(good, JSON.stringify(annotated));
    const imported = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', good]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('recorded 18 labels and 1 skip');

    // Recorded in proposal order: the journal's answers follow the positions.
    const ids = (JSON.parse(readFileSync(session, 'utf8').split('\n')[0]) as { ids: string[] }).ids;
    const answered = readFileSync(session, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => JSON.parse(line) as { e: string; i: number })
      .filter((r) => r.e !== 'propose');
    const positions = answered.map((r) => tasks.find((t) => t.data.item === ids[r.i])!.data.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const reopened = await ActiveTestingSession.open(session);
    const history = reopened.history();
    await reopened.close();
    for (const record of history) {
      if (record.id === skippedItem) expect(record.status).toBe('skipped');
      else if (record.id === openItem) expect(record.status).toBe('pending');
      else expect(record.label).toBe(truth(record.id));
    }

    // Importing the same file again records nothing; a changed answer is refused.
    expect((await runCliCaptured(['label', '--session', session, '--import', 'label-studio', good])).stdout).toContain(
      'recorded 0 labels and 0 skips',
    );
    const changed = annotated.map((task, i) =>
      i === 0 ? { ...task, annotations: choice(truth(task.data.item) === 'positive' ? 'negative' : 'positive') } : task,
    );
    writeFileSync(bad, JSON.stringify(changed));
    const conflict = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', bad]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(`item ${annotated[0].data.item} is already labelled`);

    // The export now carries the labels, and it does not overwrite a file.
    const existing = await runCliCaptured(['label', '--session', session, '--export', 'label-studio', tasksPath]);
    expect(existing.code).toBe(1);
    expect(existing.stderr.trim()).toBe(
      `active-testing label: ${tasksPath} already exists; choose another file for --export (it is never overwritten)`,
    );
    // Where `--export label-studio FILE` puts the file is not a flag of its own.
    const internal = await runCliCaptured(['label', '--session', session, '--export-file', join(files.dir, 'other.json')]);
    expect(internal.code).toBe(2);
    expect(internal.stderr).toMatch(/^active-testing label: unknown option --export-file: did you mean --export\?/);
    expect(internal.stderr).not.toMatch(/--export-file,|--import-file/);
    const again = join(files.dir, 'tasks2.json');
    expect((await runCliCaptured(['label', '--session', session, '--export', 'label-studio', again])).code).toBe(0);
    const withLabels = JSON.parse(readFileSync(again, 'utf8')) as Task[];
    expect(
      withLabels
        .filter((t) => t.annotations.length === 1 && !t.annotations[0].was_cancelled)
        .map((t) => t.annotations[0].result[0].value.choices[0]),
    ).toEqual(withLabels.filter((t) => t.annotations.length === 1 && !t.annotations[0].was_cancelled).map((t) => truth(t.data.item)));
    expect(withLabels.find((t) => t.data.item === skippedItem)?.annotations[0].was_cancelled).toBe(true);
    expect((await runCliCaptured(['label', '--session', session, '--export', 'csv', again])).code).toBe(2);

    // 18 labels, 1 skip and 1 open item: skips do not count towards --max-labels, so reaching 20
    // labels needs the open item and one new proposal.
    const topUp = join(files.dir, 'tasks3.json');
    expect((await runCliCaptured(['label', '--session', session, '--export', 'label-studio', topUp, '--max-labels', '20'])).code).toBe(0);
    expect((JSON.parse(readFileSync(topUp, 'utf8')) as Task[]).map((t) => t.data.position)).toEqual(
      Array.from({ length: 21 }, (_, i) => i),
    );
  });

  it('reads the "label" choices of each annotation, and refuses annotators who disagree, naming the item', async () => {
    const { files, session, tasksPath } = await exportedSession(13, 'overlap.session', 3);
    const tasks = JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[];
    // As Label Studio exports them: ids, users and times on each annotation, and a second Choices
    // control ("confidence") that the project added beside the config --export printed.
    const annotation = (name: string, user: number) => ({
      id: 100 + user,
      completed_by: user,
      was_cancelled: false,
      ground_truth: false,
      updated_at: `2026-01-0${user}T10:00:00.000Z`,
      result: [
        { id: 'a1', from_name: 'confidence', to_name: 'text', type: 'choices', origin: 'manual', value: { choices: ['high'] } },
        { id: 'a2', from_name: 'label', to_name: 'text', type: 'choices', origin: 'manual', value: { choices: [name] } },
      ],
    });
    const [first, second, third] = tasks.map((task) => task.data.item);
    const exported = (thirdAnswers: string[]) =>
      tasks.map((task, t) => ({
        ...task,
        project: 1,
        annotations:
          t === 2 ? thirdAnswers.map((name, user) => annotation(name, user + 1)) : [annotation(t === 0 ? 'negative' : 'positive', 1)],
      }));
    const path = join(files.dir, 'export.json');
    writeFileSync(path, JSON.stringify(exported(['positive', 'negative'])));
    const before = readFileSync(session);
    const disagreeing = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
    expect(disagreeing.code).toBe(1);
    expect(disagreeing.stderr.trim()).toBe(
      `active-testing label: --import: ${path}: task 2 (item ${third}): its 2 annotations disagree ("positive", "negative"); keep one answer per task; nothing was imported`,
    );
    expect(readFileSync(session).equals(before)).toBe(true);

    writeFileSync(path, JSON.stringify(exported(['positive', 'positive'])));
    const imported = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('recorded 3 labels and 0 skips');
    const reopened = await ActiveTestingSession.open(session);
    const labels = Object.fromEntries(reopened.history().map((record) => [record.id, record.label]));
    await reopened.close();
    expect(labels).toEqual({ [first!]: 'negative', [second!]: 'positive', [third!]: 'positive' });
  });

  // Tasks imported twice into a Label Studio project (a later, longer --export imported beside the
  // first) appear twice in its export: the answers of one item's tasks must agree, as one task's do.
  it('refuses an item whose tasks disagree (tasks imported twice), naming both, and takes tasks that agree', async () => {
    const { files, session, tasksPath } = await exportedSession(14, 'twice.session', 2);
    const tasks = JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[];
    const [first, second] = tasks.map((task) => task.data.item);
    const path = join(files.dir, 'export.json');
    const before = readFileSync(session);
    const again = (annotations: Task['annotations']) => ({ ...tasks[0], id: 3, annotations });
    const laters: Array<[Task['annotations'], string]> = [
      [choice('positive'), '"positive"'],
      [[{ was_cancelled: true, result: [] }], 'skip'],
    ];
    for (const [later, said] of laters) {
      writeFileSync(path, JSON.stringify([{ ...tasks[0], annotations: choice('negative') }, tasks[1], again(later)]));
      const refused = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `active-testing label: --import: ${path}: task 2 (item ${first}): its answer (${said}) disagrees with task 0's ("negative") for the same item; keep one answer per item; nothing was imported`,
      );
      expect(readFileSync(session).equals(before)).toBe(true);
    }

    // The same answer twice, and a task of the item left unannotated: recorded once.
    writeFileSync(
      path,
      JSON.stringify([
        again([]),
        { ...tasks[0], annotations: choice('negative') },
        { ...tasks[1], annotations: choice('positive') },
        again(choice('negative')),
      ]),
    );
    const imported = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('recorded 2 labels and 0 skips');
    const reopened = await ActiveTestingSession.open(session);
    const labels = Object.fromEntries(reopened.history().map((record) => [record.id, record.label]));
    await reopened.close();
    expect(labels).toEqual({ [first!]: 'negative', [second!]: 'positive' });
  });

  it('reads the completions of an export from Label Studio before 1.0, its name for the annotations', async () => {
    const { files, session, tasksPath } = await exportedSession(15, 'old.session', 2);
    const tasks = JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[];
    const path = join(files.dir, 'export.json');
    const completions = [choice('positive'), [{ was_cancelled: true, result: [] }]];
    writeFileSync(path, JSON.stringify(tasks.map(({ annotations: _, ...task }, t) => ({ ...task, completions: completions[t] }))));
    const imported = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('recorded 1 label and 1 skip');
    const reopened = await ActiveTestingSession.open(session);
    const statuses = reopened.history().map((record) => [record.id, record.status, record.label]);
    await reopened.close();
    expect(statuses).toEqual([
      [tasks[0]!.data.item, 'labelled', 'positive'],
      [tasks[1]!.data.item, 'skipped', undefined],
    ]);
  });

  // Label Studio offers JSON-MIN beside JSON, and a task file edited by hand may hold a number:
  // both were refused as having "no data.item", which told the user to export the tasks again.
  it('says when an export is JSON-MIN or names its item by a number, rather than that it has no item', async () => {
    const { files, session, tasksPath } = await exportedSession(15, 'min.session', 2);
    const tasks = JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[];
    const before = readFileSync(session);
    const path = join(files.dir, 'export.json');
    // JSON-MIN: each task's data and its annotation's choice flattened into one object.
    const min = tasks.map((task) => ({ id: task.id, ...task.data, label: 'negative', annotator: 1, annotation_id: 7, lead_time: 2.5 }));
    const numbered = [{ ...tasks[0], data: { ...tasks[0].data, item: 7 }, annotations: choice('negative') }];
    for (const [written, reason] of [
      [min, "task 0 has no data but an item field: this is Label Studio's JSON-MIN export; export the project as JSON"],
      [numbered, 'task 0: data.item is 7, a number; expected the item id as --export wrote it, a string'],
    ] as const) {
      writeFileSync(path, JSON.stringify(written));
      const refused = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(`active-testing label: --import: ${path}: ${reason}`);
      expect(readFileSync(session).equals(before)).toBe(true);
    }
  });

  // The export comes from a Label Studio server others write to: an id or a choice there holding a
  // terminal escape (setting the window's title) or a right-to-left override must not act on the
  // terminal the refusal is printed on.
  it('shows control characters of the ids and choices it refuses as visible symbols, not as escapes', async () => {
    const { files, session, tasksPath } = await exportedSession(16, 'esc.session', 2);
    const tasks = JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[];
    const path = join(files.dir, 'export.json');
    const stranger = { ...tasks[0], data: { ...tasks[0].data, item: 'x\u001b]0;owned\u0007\u202eevil' }, annotations: choice('negative') };
    writeFileSync(path, JSON.stringify([stranger]));
    const notProposed = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
    expect(notProposed.code).toBe(1);
    expect(notProposed.stderr.trim()).toBe(
      `active-testing label: --import: ${path}: the session did not propose 1 annotated item(s) (x␛]0;owned␇<U+202E>evil); nothing was imported`,
    );
    writeFileSync(path, JSON.stringify([{ ...tasks[0], annotations: choice('neg\u001b[2Jative') }]));
    const notAClass = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', path]);
    expect(notAClass.code).toBe(1);
    expect(notAClass.stderr).toContain(`"neg␛[2Jative" is not a class`);
    expect(notAClass.stderr).not.toContain('\u001b');
  });

  it('reads an export saved with a byte-order mark and CRLF, and refuses UTF-16 or a missing file in one line', async () => {
    const { files, session, tasksPath } = await exportedSession(12, 'bom.session', 2);
    const tasks = (JSON.parse(readFileSync(tasksPath, 'utf8')) as Task[]).map((task) => ({ ...task, annotations: choice('positive') }));
    const json = JSON.stringify(tasks, null, 1).replaceAll('\n', '\r\n');
    const utf16 = join(files.dir, 'utf16.json');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]));
    const refused = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', utf16]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `active-testing label: --import: ${utf16}: not UTF-8 text; expected a Label Studio JSON export saved as UTF-8`,
    );
    const absent = join(files.dir, 'absent.json');
    const missing = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', absent]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`active-testing label: --import: ${absent}: cannot read: no such file (ENOENT)`);
    const bom = join(files.dir, 'bom.json');
    writeFileSync(bom, `\ufeff${json}`);
    const imported = await runCliCaptured(['label', '--session', session, '--import', 'label-studio', bom]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('recorded 2 labels and 0 skips');
  });
});

describe('exportLabelStudio proposing the items it opens', () => {
  /** A new session file over a pool of `size` items (acquisition `acquisition`), and a copy of it. */
  async function twoSessions(size: number, acquisition: 'surrogate-pe' | 'adaptive') {
    const files = await writePoolFiles(size, 21);
    const options = {
      texts: files.texts,
      ids: files.ids,
      classes: CLASSES,
      modelScores: files.pool.modelScores,
      surrogateScores: files.pool.surrogateScores,
      acquisition,
      seed: 4,
    };
    const a = join(files.dir, 'a.session');
    const b = join(files.dir, 'b.session');
    await (await ActiveTestingSession.create(a, options)).close();
    copyFileSync(a, b);
    return { dir: files.dir, a, b };
  }

  it.each(['surrogate-pe', 'adaptive'] as const)(
    'proposes a chunk at a time with the draws of one next(open), byte for byte (%s)',
    async (acquisition) => {
      const { dir, a, b } = await twoSessions(700, acquisition);
      const chunked = await ActiveTestingSession.open(a);
      expect(await exportLabelStudio(chunked, join(dir, 'a.json'), 600)).toBe(600);
      await chunked.close();
      const whole = await ActiveTestingSession.open(b);
      await whole.next(600);
      expect(await exportLabelStudio(whole, join(dir, 'b.json'))).toBe(600);
      await whole.close();
      expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
      expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe(readFileSync(join(dir, 'b.json'), 'utf8'));
    },
  );

  it('stops at the end of the chunk a signal came in, the proposals made so far kept and no file written', async () => {
    const { dir, a } = await twoSessions(700, 'surrogate-pe');
    const session = await ActiveTestingSession.open(a);
    const stop = new AbortController();
    // The signal comes while the first items are proposed: proposing runs without a pause, so the
    // stop is seen only once the call returns.
    const next = session.next.bind(session);
    session.next = (k?: number) => {
      const proposed = next(k);
      stop.abort();
      return proposed;
    };
    const tasks = join(dir, 'tasks.json');
    await expect(exportLabelStudio(session, tasks, 600, stop.signal)).rejects.toThrow(CancelledError);
    expect(session.history().length).toBe(256);
    await session.close();
    expect(existsSync(tasks)).toBe(false);
    const reopened = await ActiveTestingSession.open(a);
    expect(reopened.history().map((p) => p.status)).toEqual(Array.from({ length: 256 }, () => 'pending'));
    await reopened.close();
  });
});
