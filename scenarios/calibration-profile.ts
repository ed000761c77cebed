// The calibration profile: what `rushhour calibrate` measured about one deployment, in the units the
// simulator's models take. A scenario that names a profile (`cluster: { profile: "calibration.json" }`,
// or `rushhour sim --calibration FILE`) runs with these measured costs instead of its typed-in ones.
// Versioned: a file of another version is refused with its version named, never half-read.
import { z } from "zod";
import { count } from "../traffic/schema.ts";

export const CALIBRATION_PROFILE_VERSION = 1;

const ms = z.number().min(0).max(3_600_000);
const perOrderMs = z.number().min(0).max(10_000);

/** One steady-rate step of the CPU fit: the rate held, what the processes spent, what completed. */
const CpuStepSchema = z.strictObject({
  /** Orders per second offered during the step. */
  rate: z.number().positive(),
  /** Orders completed (DELIVERED or FAILED) during the measured part of the step. */
  completed: count(0),
  /** Process CPU ms per completed order, per process role. */
  serverMsPerOrder: perOrderMs,
  /**
   * The server's event-loop busy ms per completed order (its event-loop utilisation over the step): the
   * part of its CPU that runs on the one loop orders queue for; the rest is its other threads (garbage
   * collection, the thread pool). Absent in profiles written before it was measured.
   */
  serverLoopMsPerOrder: perOrderMs.optional(),
  /**
   * The server's garbage-collection pauses per completed order, and their mean length (ms). The event loop
   * stops for each: a few long pauses queue the orders behind them where the same time spread evenly would
   * not. Absent in profiles written before they were measured.
   */
  gcPausesPerOrder: z.number().min(0).max(1000).optional(),
  gcPauseMs: ms.optional(),
  /**
   * How much the pauses' lengths vary: their standard deviation over their mean (here about 0.5: scavenges
   * of 5 to 140 ms around a mean near 50). Absent in profiles written before it was measured.
   */
  gcPauseCv: z.number().min(0).max(20).optional(),
  /**
   * Ms per second of the step's traffic the server's event-loop thread was ready to run but waited for a CPU
   * core (Linux's scheduler statistics): how short the machine was of cores for the server, driver and farm.
   * Not a simulator input: it says what the live figures include. Absent where it was not measured.
   */
  loopWaitMsPerSecond: z.number().min(0).max(1_000_000).optional(),
  /**
   * Ms per second of the step's traffic the server's event-loop thread ran on a core (Linux's scheduler
   * statistics; with loopWaitMsPerSecond, how much of each second the loop ran or wanted to).
   * Its busy time (serverLoopMsPerOrder, from the utilisation) also counts the moments it was preempted while
   * busy; this does not. Not a simulator input. Absent where it was not measured.
   */
  loopCpuMsPerSecond: z.number().min(0).max(1_000_000).optional(),
  /**
   * Turns per second of the step's traffic the server's event loop went round (libuv's loop count): each
   * turn serves whatever was ready, so orders arriving together share one. Absent where it was not measured.
   */
  loopTurnsPerSecond: z.number().min(0).max(10_000_000).optional(),
  driverMsPerOrder: perOrderMs,
  farmMsPerOrder: perOrderMs,
  /** Server CPU ms per completed order that the fit predicts at this rate (for the residual). */
  fittedServerMsPerOrder: perOrderMs,
});

export const CalibrationProfileSchema = z.strictObject({
  version: z.literal(CALIBRATION_PROFILE_VERSION, {
    error: `version must be ${CALIBRATION_PROFILE_VERSION} (this rushhour reads calibration profiles of version ${CALIBRATION_PROFILE_VERSION} only)`,
  }),
  /** Where and when it was measured. */
  measured: z.strictObject({
    at: z.iso.datetime(),
    host: z.string().min(1),
    cores: count(1),
    cpuModel: z.string(),
    node: z.string().min(1),
    /** The rushhour commit that measured it ("unknown" outside a git checkout). */
    commit: z.string().min(1),
    /** "local" (a stack calibrate started) or the target addresses. */
    target: z.string().min(1),
    store: z.enum(["memory", "sqlite", "postgres"]),
    /** The scenario whose providers and cluster ran during the measurement. */
    scenario: z.string().min(1),
  }),
  cpu: z.strictObject({
    /** Server CPU ms per order in each stage (what the simulator's processors serve). */
    stageMs: z.strictObject({
      accept: perOrderMs,
      allocate: perOrderMs,
      issue: perOrderMs,
      deliver: perOrderMs,
      retry: perOrderMs,
    }),
    /**
     * Server event-loop ms per second per order waiting in a lane queue (workflows/calibrate-waiting.ts):
     * fitted over the windows of every step that held a queue; 0 when too few did.
     */
    waitPerSecond: perOrderMs,
    /**
     * How waitPerSecond was measured: the windows fitted and how many held a queue (fewer than 3: not
     * measured, 0). Absent in profiles written before it was measured (their waitPerSecond was the
     * scenario's typed-in figure).
     */
    waitFit: z.strictObject({ windows: count(0), queuedWindows: count(0) }).optional(),
    /** Processors one server instance can use (1 event loop, plus what the store's threads add). */
    processorsPerInstance: z.number().positive().max(1024),
    /**
     * CPU the load driver and the provider farm spend per order on the server's machine; null when
     * they ran elsewhere. The simulator charges it to the same processors (the machine's cores).
     */
    colocated: z
      .strictObject({
        machineCores: count(1),
        driverMsPerOrder: perOrderMs,
        farmMsPerOrder: perOrderMs,
      })
      .nullable(),
    /** The steady-rate steps the fit came from, with the fit's residuals. */
    steps: z.array(CpuStepSchema).min(1),
    /** Root-mean-square residual of the fit, ms per order. */
    rmsResidualMs: z.number().min(0),
    /**
     * The event loop's cost per turn and per order (workflows/calibrate-turns.ts): busy ms per second =
     * turnMs x turns + orderMs x orders (pauses and waiting apart). The simulator charges orderMs over the
     * stages and wakeMs to each turn of its loop. Absent where turns were not measured (a Node
     * without the loop count, a server older than the field) or did not fit: the steps' busy time per order
     * is then charged at each rate (cpuCurve).
     */
    loopTurns: z
      .strictObject({
        /** Ms a live turn costs. */
        turnMs: perOrderMs,
        /** Loop ms an order costs beyond its turns. */
        orderMs: perOrderMs,
        /** Live turns per order at the lowest rate. */
        turnsPerOrder: z.number().min(0).max(10_000),
        /** The simulated loop's wakes per order at a low rate: 1 + service calls per order. */
        wakesPerOrder: z.number().min(1).max(10_000),
        /** Ms a simulated wake costs: turnMs x turnsPerOrder / wakesPerOrder. */
        wakeMs: perOrderMs,
        /** Root-mean-square residual of the fit, ms per order. */
        rmsResidualMs: z.number().min(0),
      })
      .optional(),
  }),
  /** Mean store operation latencies the server measured (ms). */
  store: z.strictObject({ claimMs: ms, stockMs: ms, deliverMs: ms, releaseMs: ms }),
  /**
   * Provider latency as the server saw it (call start to answer, ms), as empirical quantiles: `values`
   * holds equally spaced quantiles (the simulator samples them as an empirical distribution).
   */
  providers: z.record(
    z.string().min(1),
    z.strictObject({
      values: z.array(ms).min(1).max(10_000),
      /**
       * The same, at each steady rate the calibration held with the server's event loop under 75% busy
       * (orders/s, ascending): as the rate grows, the answer waits longer for that loop. Absent in profiles
       * written before it was measured.
       */
      byRate: z
        .array(z.strictObject({ rate: z.number().positive(), values: z.array(ms).min(1).max(10_000) }))
        .min(2)
        .max(100)
        .optional(),
    }),
  ),
  /** One-way primary -> backup hop (ms). */
  hopMs: ms,
});

export type CalibrationProfile = z.output<typeof CalibrationProfileSchema>;
