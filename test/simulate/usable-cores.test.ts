import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupQuotaCores, quotaCores } from '../../src/simulate/usable-cores.js';

const root = mkdtempSync(join(tmpdir(), 'at-cgroup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A cgroup file system under `root/name`, each file at its path with its text. */
function cgroupTree(name: string, files: Record<string, string>): string {
  const top = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(top, path, '..'), { recursive: true });
    writeFileSync(join(top, path), text);
  }
  return top;
}

describe('the cores a CPU quota allows', () => {
  it('reads cgroup v2 cpu.max and cgroup v1 quota and period, rounding a fraction of a core up', () => {
    expect(quotaCores('200000 100000\n')).toBe(2);
    expect(quotaCores('150000 100000')).toBe(2);
    expect(quotaCores('50000 100000')).toBe(1);
    expect(quotaCores('400000 50000')).toBe(8);
    expect(quotaCores('300000')).toBe(3);
    expect(quotaCores('-1\n 100000\n')).toBeUndefined();
    expect(quotaCores('max 100000')).toBeUndefined();
    expect(quotaCores('')).toBeUndefined();
    expect(quotaCores('0 100000')).toBeUndefined();
    expect(quotaCores('100000 0')).toBeUndefined();
  });

  it("takes the least quota from the process's cgroup up to the top, in cgroup v2", () => {
    const top = cgroupTree('v2', {
      'cpu.max': 'max 100000\n',
      'kubepods/cpu.max': '300000 100000\n',
      'kubepods/pod/cpu.max': 'max 100000\n',
      'kubepods/pod/container/cpu.max': 'max 100000\n',
    });
    expect(cgroupQuotaCores(top, '0::/kubepods/pod/container\n')).toBe(3);
    expect(cgroupQuotaCores(top, '0::/\n')).toBeUndefined();
    // A path the mount does not show (the host's path seen from a container) is walked up to the top.
    const container = cgroupTree('v2-container', { 'cpu.max': '200000 100000\n' });
    expect(cgroupQuotaCores(container, '0::/docker/abc\n')).toBe(2);
    // Without /proc/self/cgroup, the top's quota.
    expect(cgroupQuotaCores(container, undefined)).toBe(2);
    // A path outside the namespace's root, and a relative root, read the top's quota.
    expect(cgroupQuotaCores(container, '0::/../../user.slice/u.service\n')).toBe(2);
    expect(cgroupQuotaCores(relative(process.cwd(), container), '0::/../abc\n')).toBe(2);
    expect(cgroupQuotaCores(relative(process.cwd(), top), '0::/kubepods/pod/container/\n')).toBe(3);
  });

  it('reads the cpu controller of cgroup v1, beside a v2 line of a hybrid mount', () => {
    const top = cgroupTree('v1', {
      'cpu/cpu.cfs_quota_us': '-1\n',
      'cpu/cpu.cfs_period_us': '100000\n',
      'cpu/system.slice/job.service/cpu.cfs_quota_us': '150000\n',
      'cpu/system.slice/job.service/cpu.cfs_period_us': '100000\n',
      // The unified hierarchy's files are not the cpu controller's in a hybrid mount.
      'cpu.max': '100000 100000\n',
    });
    const self = '4:memory:/system.slice/job.service\n2:cpu,cpuacct:/system.slice/job.service\n0::/system.slice/job.service\n';
    expect(cgroupQuotaCores(top, self)).toBe(2);
    expect(cgroupQuotaCores(top, '2:cpu,cpuacct:/\n0::/\n')).toBeUndefined();
    // Mounted as the line names its controllers, without a `cpu` link.
    const unlinked = cgroupTree('v1-unlinked', {
      'cpuacct,cpu/a/cpu.cfs_quota_us': '300000\n',
      'cpuacct,cpu/a/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupQuotaCores(unlinked, '3:cpuacct,cpu:/a\n')).toBe(3);
  });
});
