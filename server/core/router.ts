// Overflow routing: the primary cluster's load (busy worker slots / slots) is sampled on the core's
// timer and smoothed with an EWMA; overflow switches ON at or above highWatermark and OFF only below
// lowWatermark (hysteresis), and never sooner than minDwellMs after the previous switch. Every
// switch is counted (route flapping is a reported figure).
import type { DispatchConfig } from "./config.ts";

export type RoutingConfig = DispatchConfig["routing"];

export class OverflowRouter {
  load = 0;
  active = false;
  switches = 0;
  private lastSwitchAt = Number.NEGATIVE_INFINITY;

  constructor(private config: RoutingConfig) {}

  setConfig(config: RoutingConfig): void {
    this.config = config;
  }

  /**
   * Feeds one raw load sample; returns true when the route switched. `allowed` is false when this
   * cluster cannot overflow (no backup, a backup itself, or overflow disabled): then it switches off.
   */
  sample(raw: number, now: number, allowed: boolean): boolean {
    this.load += this.config.smoothing * (raw - this.load);
    let want = this.active;
    if (!allowed) want = false;
    else if (!this.active && this.load >= this.config.highWatermark) want = true;
    else if (this.active && this.load < this.config.lowWatermark) want = false;
    if (want === this.active) return false;
    if (allowed && now - this.lastSwitchAt < this.config.minDwellMs) return false;
    this.active = want;
    this.lastSwitchAt = now;
    this.switches++;
    return true;
  }
}
