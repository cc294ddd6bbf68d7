// CPU time used by a child's process group (the child and everything it forked, e.g. nginx's workers),
// from Linux's /proc. Under load on a 2-core machine every process competes for the same cores, so the
// CPU a proxy burns per request explains its throughput better than requests/s alone.
import { readdirSync, readFileSync } from 'node:fs';

/** clock ticks per second for /proc's utime/stime; 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

/** User + system CPU milliseconds of every live process in group `pgid`, or null where /proc is missing. */
export function groupCpuMs(pgid: number | undefined): number | null {
  if (pgid === undefined) return null;
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of entries) {
    const fields = readStat(pid);
    // After the ")" that ends the command name: state ppid pgrp ... with utime and stime 12th and 13th.
    if (fields && Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function readStat(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // exited meanwhile
  }
}
