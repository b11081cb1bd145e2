/**
 * Which process left a file behind. Temporary files and journal files carry the host name and process id
 * of their writer, so that a process cleans up or recovers only what a *dead* process of *this* host left:
 * never what a server still running beside it (or one on another host sharing the storage) is writing.
 */
import { hostname } from 'node:os';

/** `host-pid`, with the host name made safe for a file name. */
export const OWNER_TAG = `${hostname().replace(/[^A-Za-z0-9_.]/g, '_')}-${process.pid}`;

/** True when `pid` is a live process of this host. */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a file named `<prefix><host>-<pid>-...` (or the older `<prefix><pid>-...`) was left by a
 * process of this host that is no longer running. Names of other hosts, and unparsable names, are not.
 */
export function leftByDeadProcess(name: string, prefix: string): boolean {
  if (!name.startsWith(prefix)) return false;
  const rest = name.slice(prefix.length);
  const host = OWNER_TAG.slice(0, OWNER_TAG.lastIndexOf('-'));
  let pidText: string | undefined;
  if (rest.startsWith(`${host}-`)) pidText = rest.slice(host.length + 1).split('-')[0];
  else if (/^\d+-/.test(rest)) pidText = rest.split('-')[0];
  const pid = Number(pidText);
  if (!pidText || !Number.isInteger(pid) || pid <= 0) return false;
  return !isAlive(pid);
}
