// A valid calibration profile for tests (its figures are made up; the shape is the real schema's).
import type { CalibrationProfile } from "../../scenarios/calibration-profile.ts";

/** Profile with distinct figures per field, so a test sees which field went where. */
export function sampleProfile(): CalibrationProfile {
  return {
    version: 1,
    measured: {
      at: "2026-12-01T00:00:00.000Z",
      host: "test",
      cores: 2,
      cpuModel: "test cpu",
      node: "v20.0.0",
      commit: "abc",
      target: "local",
      store: "memory",
      scenario: "twin-tiny",
    },
    cpu: {
      stageMs: { accept: 0.1, allocate: 0.2, issue: 0.3, deliver: 0.4, retry: 0.5 },
      waitPerSecond: 0,
      processorsPerInstance: 1,
      colocated: { machineCores: 2, driverMsPerOrder: 0.25, farmMsPerOrder: 0.5 },
      steps: [
        {
          rate: 20,
          completed: 40,
          serverMsPerOrder: 1,
          driverMsPerOrder: 0.3,
          farmMsPerOrder: 0.5,
          fittedServerMsPerOrder: 1,
        },
      ],
      rmsResidualMs: 0,
    },
    store: { claimMs: 1.5, stockMs: 0.5, deliverMs: 2, releaseMs: 1 },
    providers: { p1: { values: [3, 4, 5, 6, 40] } },
    hopMs: 0.7,
  };
}
