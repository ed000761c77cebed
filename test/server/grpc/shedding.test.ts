// A full queue sheds: RESOURCE_EXHAUSTED with the reason, and the same key replays the same answer.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerTier, FaultKind } from "../../../proto/gen/rushhour/v1/common.ts";
import { WaitMode } from "../../../proto/gen/rushhour/v1/dispatch.ts";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { bearer, call, clients, failure } from "./clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-shed-"));
let server: SpawnedServer;

beforeAll(async () => {
  const config = join(dir, "tiny.json");
  writeFileSync(
    config,
    JSON.stringify({
      lanes: {
        vip: { enabled: false, workers: 0, queueCapacity: 0, lendIdle: false, reserve: 0 },
        default: { workers: 1, queueCapacity: 2 },
      },
      routing: { overflow: false },
    }),
  );
  server = await spawnServe(["--config", config, "--skus", "sku-a", "--seed-stock", "50"]);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("shedding", () => {
  it("answers RESOURCE_EXHAUSTED with the reason when the queue is full", async () => {
    const c = clients(server.address);
    await call(
      c.admin.injectFault,
      c.admin,
      {
        fault: {
          providerId: "",
          kind: FaultKind.FAULT_KIND_LATENCY,
          probability: 1,
          latencyMs: 300,
          durationMs: 0,
        },
      },
      { metadata: bearer(server.adminToken) },
    );
    const submit = (key: string) =>
      call(c.dispatch.submitOrder, c.dispatch, {
        idempotencyKey: key,
        sku: "sku-a",
        tier: CustomerTier.CUSTOMER_TIER_STANDARD,
        waitMode: WaitMode.WAIT_MODE_ACCEPTED,
      });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => submit(`shed-${i}`)));
    const refused = results.flatMap((r, i) => (r.status === "rejected" ? [{ i, err: r.reason }] : []));
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const { err } of refused) {
      expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(err.details).toMatch(/^rejected: \S+/);
      expect(err.metadata.get("rushhour-reject-reason")[0]).toBeTruthy();
    }
    const replay = await failure(submit(`shed-${refused[0]!.i}`));
    expect(replay.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(replay.details).toBe(refused[0]!.err.details);
    await call(c.admin.clearFaults, c.admin, { providerId: "" }, { metadata: bearer(server.adminToken) });
    c.close();
  });
});
