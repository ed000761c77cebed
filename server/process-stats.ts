// Process CPU and event-loop utilisation over the last sampling window, for GetSnapshot and /metrics.
import { type EventLoopUtilization, performance } from "node:perf_hooks";

export class ProcessStats {
  cpuUtilisation = 0;
  eventLoopUtilisation = 0;
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();
  private lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = performance.now();

  constructor(intervalMs = 1000) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
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

  snapshot(): { cpuUtilisation: number; eventLoopUtilisation: number; rssBytes: number; uptimeS: number } {
    return {
      cpuUtilisation: this.cpuUtilisation,
      eventLoopUtilisation: this.eventLoopUtilisation,
      rssBytes: process.memoryUsage.rss(),
      uptimeS: (performance.now() - this.startedAt) / 1000,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
