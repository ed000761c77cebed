// Process CPU and event-loop utilisation over the last sampling window, for GetSnapshot and /metrics;
// and the garbage collector's pauses since start (cumulative), which stop the event loop: calibrate
// measures how many an order costs and how long they are (workflows/calibrate.ts).
import { readFileSync } from "node:fs";
import { type EventLoopUtilization, PerformanceObserver, performance } from "node:perf_hooks";

export class ProcessStats {
  cpuUtilisation = 0;
  eventLoopUtilisation = 0;
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private gcPauses = 0;
  private gcPauseMs = 0;
  private gcPauseSqMs = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.gcPauses++;
      this.gcPauseMs += e.duration;
      this.gcPauseSqMs += e.duration * e.duration;
    }
  });

  constructor(intervalMs = 1000) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.gc.observe({ entryTypes: ["gc"] });
  }

  sample(): void {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const elapsedUs = (wall - this.lastWall) * 1000;
    if (elapsedUs > 0) {
      this.cpuUtilisation = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / elapsedUs;
    }
    const elu = performance.eventLoopUtilization();
    this.eventLoopUtilisation = performance.eventLoopUtilization(elu, this.lastElu).utilization;
    this.lastCpu = cpu;
    this.lastWall = wall;
    this.lastElu = elu;
  }

  snapshot(): {
    cpuUtilisation: number;
    eventLoopUtilisation: number;
    rssBytes: number;
    uptimeS: number;
    gcPauses: number;
    gcPauseMs: number;
    gcPauseSqMs: number;
    loopWaitMs?: number;
    loopCpuMs?: number;
    loopTurns?: number;
  } {
    const loop = loopThreadSchedule();
    const turns = loopTurns();
    return {
      cpuUtilisation: this.cpuUtilisation,
      eventLoopUtilisation: this.eventLoopUtilisation,
      rssBytes: process.memoryUsage.rss(),
      uptimeS: (performance.now() - this.startedAt) / 1000,
      gcPauses: this.gcPauses,
      gcPauseMs: this.gcPauseMs,
      gcPauseSqMs: this.gcPauseSqMs,
      ...(loop === undefined ? {} : { loopWaitMs: loop.waitMs, loopCpuMs: loop.cpuMs }),
      ...(turns === undefined ? {} : { loopTurns: turns }),
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.gc.disconnect();
  }
}

/**
 * The event loop's thread (the process's main thread: its id is the process id) since it started: ms it ran
 * on a core and ms it was ready to run but waited for one, the first two fields of Linux's
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds). Undefined where there is no such file (other systems,
 * kernels without scheduler stats).
 */
function loopThreadSchedule(): { cpuMs: number; waitMs: number } | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").trim().split(" ");
    const [cpuNs, waitNs] = [Number(fields[0]), Number(fields[1])];
    return Number.isFinite(cpuNs) && Number.isFinite(waitNs)
      ? { cpuMs: cpuNs / 1e6, waitMs: waitNs / 1e6 }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How many times the event loop has gone round since the process started (libuv's loop count, Node's
 * `performance.nodeTiming.uvMetricsInfo`); undefined on a Node without it.
 */
function loopTurns(): number | undefined {
  // Typed loosely: @types/node of some versions does not declare uvMetricsInfo.
  const timing = performance.nodeTiming as { uvMetricsInfo?: { loopCount?: number } };
  const n = timing.uvMetricsInfo?.loopCount;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}
