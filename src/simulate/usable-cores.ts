import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * The cores a cgroup CPU quota allows, from the text of a cgroup v2 `cpu.max` ("150000 100000":
 * 1.5 cores, rounded up to 2) or of cgroup v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us` joined
 * by a space; undefined without a quota ("max", a quota of -1) or for text that is not one.
 *
 * @example
 * quotaCores('200000 100000'); // 2
 * quotaCores('max 100000'); // undefined
 */
export function quotaCores(text: string): number | undefined {
  const [quota, period = '100000'] = text.trim().split(/\s+/);
  const cores = Number(quota) / Number(period);
  return cores > 0 && Number.isFinite(cores) ? Math.max(1, Math.ceil(cores)) : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The smallest CPU quota on the way from a process's cgroup up to the top of the cgroup file
 * system at `root`: its own limit and every parent's (a pod's limit above a container's "max").
 * `selfCgroup` is the text of `/proc/self/cgroup`: the v1 line of the `cpu` controller where there
 * is one (its files `cpu.cfs_quota_us` and `cpu.cfs_period_us` under `root/cpu,cpuacct` or
 * `root/cpu`), else the v2 line `0::/path` (`cpu.max` under `root`). A path that the mount does not
 * show (a container's view of the host's path) is walked up to the top, and one outside the
 * namespace's root (`/../x`) reads the top alone: its quota is still a bound. Undefined without any.
 *
 * @example
 * cgroupQuotaCores('/sys/fs/cgroup', '0::/system.slice/job.service\n'); // e.g. 2 under CPUQuota=200%
 */
export function cgroupQuotaCores(root: string, selfCgroup: string | undefined): number | undefined {
  const lines = (selfCgroup ?? '0::/').split('\n').map((line) => line.split(':'));
  const v1 = lines.find(([id, controllers]) => id !== '0' && controllers?.split(',').includes('cpu'));
  const v2 = lines.find(([id, controllers]) => id === '0' && controllers === '');
  const quotaAt = (folder: string): number | undefined => {
    if (v1 === undefined) {
      const max = readText(join(folder, 'cpu.max'));
      return max === undefined ? undefined : quotaCores(max);
    }
    const quota = readText(join(folder, 'cpu.cfs_quota_us'));
    const period = readText(join(folder, 'cpu.cfs_period_us'));
    return quota === undefined || period === undefined ? undefined : quotaCores(`${quota} ${period}`);
  };
  // v1 mounts each controller in a folder of its own, named as the line names it (`cpu,cpuacct`),
  // often linked as `cpu` too.
  const tops = v1 === undefined ? [root] : [join(root, v1[1]!), join(root, 'cpu')];
  const top = resolve(tops.find((folder) => existsSync(folder)) ?? tops[0]!);
  const path = (v1 ?? v2)?.slice(2).join(':') ?? '/';
  let folder = path.split('/').includes('..') ? top : resolve(top, `./${path}`);
  let least: number | undefined;
  for (;;) {
    const cores = quotaAt(folder);
    if (cores !== undefined) least = Math.min(least ?? Infinity, cores);
    if (folder === top || !folder.startsWith(top + sep)) return least;
    folder = dirname(folder);
  }
}

let usable: number | undefined;

/**
 * The cores this process can use: the machine's available parallelism, capped by its cgroup's CPU
 * quota or a parent's (`docker run --cpus 2`, a Kubernetes limit, systemd's `CPUQuota`), which Node
 * 20's `availableParallelism` does not read. Threads beyond it would only take turns, each costing
 * its own start and memory. Read once.
 *
 * @example
 * usableCores() <= availableParallelism(); // true
 */
export function usableCores(): number {
  usable ??= Math.min(availableParallelism(), cgroupQuotaCores('/sys/fs/cgroup', readText('/proc/self/cgroup')) ?? Infinity);
  return usable;
}
