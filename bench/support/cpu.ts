// CPU seconds of other processes (a PostgreSQL cluster, server instances), read from /proc, for
// benches that split the cost of an order between the server and the database.
import { readFileSync } from "node:fs";
import { postgresPids } from "../../load/topology.ts";

/** Linux USER_HZ: /proc/<pid>/stat times are in these ticks. */
const TICKS_PER_S = 100;

/** CPU seconds so far of a process (and of its reaped children, for the postmaster). */
export function cpuSeconds(pid: number, withChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 here, after pid and comm.
    const own = Number(f[11]) + Number(f[12]);
    const children = withChildren ? Number(f[13]) + Number(f[14]) : 0;
    return (own + children) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** CPU seconds of a throwaway cluster so far: the postmaster (with reaped backends) and its live children. */
export function postgresCpuSeconds(clusterDir: string): number {
  const [postmaster, ...children] = postgresPids(clusterDir);
  return cpuSeconds(postmaster as number, true) + children.reduce((s, pid) => s + cpuSeconds(pid), 0);
}
