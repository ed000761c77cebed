// Lanes of one cluster: a VIP lane and a default lane, each with its own worker slots and a bounded
// FIFO queue. A slot is held from dequeue until the order leaves the worker, so slow providers
// fill slots and queues grow (the legacy system's failure mode).
//
// Dequeue policy (why a VIP is never stuck behind standard orders and standard orders never starve):
// - a VIP slot serves the VIP queue; when that is empty it may lend itself to the default queue
//   (`lendIdle`) as long as `reserve` VIP slots stay free for the next VIP arrival;
// - a default slot serves both queues with weighted round robin (`vipWeight` VIP orders, then one
//   default order) when both wait, so the default queue always gets at least 1/(vipWeight+1).
import type { DispatchConfig } from "./config.ts";
import { Ring } from "./ring.ts";
import type { Tier } from "./types.ts";

export type LaneName = "vip" | "default";

export class Lanes<T> {
  private readonly vipQueue = new Ring<T>(64);
  private readonly defaultQueue = new Ring<T>(1024);
  vipBusy = 0;
  defaultBusy = 0;
  private vipCredit = 0;

  constructor(private config: DispatchConfig["lanes"]) {}

  setConfig(config: DispatchConfig["lanes"]): void {
    this.config = config;
  }

  get vipWorkers(): number {
    return this.config.vip.enabled ? this.config.vip.workers : 0;
  }

  get defaultWorkers(): number {
    return this.config.default.workers;
  }

  get totalWorkers(): number {
    return this.vipWorkers + this.defaultWorkers;
  }

  get busy(): number {
    return this.vipBusy + this.defaultBusy;
  }

  /** The lane an order of this tier waits in. */
  laneFor(tier: Tier): LaneName {
    return tier === "vip" && this.config.vip.enabled ? "vip" : "default";
  }

  depth(lane: LaneName): number {
    return lane === "vip" ? this.vipQueue.length : this.defaultQueue.length;
  }

  capacity(lane: LaneName): number {
    return lane === "vip" ? this.config.vip.queueCapacity : this.config.default.queueCapacity;
  }

  /** Whether a NEW order can wait in this lane (retries are always let back in: they were accepted). */
  hasRoom(lane: LaneName): boolean {
    return this.depth(lane) < this.capacity(lane);
  }

  enqueue(lane: LaneName, item: T): void {
    if (lane === "vip") this.vipQueue.push(item);
    else this.defaultQueue.push(item);
  }

  /** Takes back the order enqueued last in `lane` (a new order that found the queue full). */
  popLast(lane: LaneName): T | undefined {
    return lane === "vip" ? this.vipQueue.pop() : this.defaultQueue.pop();
  }

  /** The next order for a free slot, and which lane's slot it takes; undefined when none can start. */
  next(): { item: T; slot: LaneName } | undefined {
    const vipFree = this.vipWorkers - this.vipBusy;
    if (vipFree > 0) {
      const vip = this.vipQueue.shift();
      if (vip !== undefined) {
        this.vipBusy++;
        return { item: vip, slot: "vip" };
      }
      if (
        this.config.vip.lendIdle &&
        vipFree - 1 >= this.config.vip.reserve &&
        this.defaultQueue.length > 0
      ) {
        this.vipBusy++;
        return { item: this.defaultQueue.shift() as T, slot: "vip" };
      }
    }
    if (this.defaultWorkers - this.defaultBusy > 0) {
      const vipWaiting = this.vipQueue.length > 0;
      const defaultWaiting = this.defaultQueue.length > 0;
      let take: LaneName | null = null;
      if (vipWaiting && defaultWaiting) {
        if (this.vipCredit < this.config.vipWeight) {
          take = "vip";
          this.vipCredit++;
        } else {
          take = "default";
          this.vipCredit = 0;
        }
      } else if (vipWaiting) take = "vip";
      else if (defaultWaiting) take = "default";
      if (take !== null) {
        this.defaultBusy++;
        const item = (take === "vip" ? this.vipQueue.shift() : this.defaultQueue.shift()) as T;
        return { item, slot: "default" };
      }
    }
    return undefined;
  }

  releaseSlot(slot: LaneName): void {
    if (slot === "vip") this.vipBusy--;
    else this.defaultBusy--;
  }

  /** Empties both queues, returning what waited (used by stop()). */
  drain(): T[] {
    const out: T[] = [];
    for (let x = this.vipQueue.shift(); x !== undefined; x = this.vipQueue.shift()) out.push(x);
    for (let x = this.defaultQueue.shift(); x !== undefined; x = this.defaultQueue.shift()) out.push(x);
    return out;
  }
}
