// ApplyConfig against the wire types and reserved keys, over real loopback gRPC: a configuration the
// snapshot cannot encode (a uint32 field fed past 2^32 - 1) or one holding `__proto__` / `constructor` /
// `prototype` keys is refused by path and changes nothing; GetSnapshot keeps answering.
import type { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedServer, spawnServe } from "../../support/spawn.ts";
import { bearer, call, clients } from "./clients.ts";

let server: SpawnedServer;
let c: ReturnType<typeof clients>;
let auth: Metadata;

beforeAll(async () => {
  server = await spawnServe(["--skus", "sku-a", "--seed-stock", "100", "--providers", "local:zero"]);
  c = clients(server.address);
  auth = bearer(server.adminToken);
});

afterAll(async () => {
  c?.close();
  await server?.stop();
});

const apply = (configJson: string) =>
  call(c.admin.applyConfig, c.admin, { configJson, dryRun: false }, { metadata: auth });
const snapshot = () => call(c.admin.getSnapshot, c.admin, { includeOperations: false }, { metadata: auth });

describe("ApplyConfig bounds match the wire types", () => {
  const cases: [string, unknown, string][] = [
    ["default workers 2^32", { lanes: { default: { workers: 2 ** 32 } } }, "lanes.default.workers"],
    ["vip workers 2^32", { lanes: { vip: { workers: 2 ** 32, reserve: 0 } } }, "lanes.vip.workers"],
    ["default queue 2^32", { lanes: { default: { queueCapacity: 2 ** 32 } } }, "lanes.default.queueCapacity"],
    ["health window 2^32", { health: { windowSize: 2 ** 32 } }, "health.windowSize"],
    ["retry attempts 2^32", { retry: { maxAttempts: 2 ** 32 } }, "retry.maxAttempts"],
  ];
  for (const [name, partial, path] of cases) {
    it(`${name}: refused naming ${path}; GetSnapshot keeps working`, async () => {
      const before = await snapshot();
      const res = await apply(JSON.stringify(partial));
      expect(res.applied).toBe(false);
      expect(res.errors.map((e) => e.path)).toContain(path);
      const after = await snapshot();
      expect(after.configVersion).toBe(before.configVersion);
      expect(after.lanes.length).toBeGreaterThan(0);
    });
  }
});

describe("ApplyConfig refuses reserved keys by path", () => {
  const cases: [string, string][] = [
    ['{"__proto__": {"name": "polluted"}}', "__proto__"],
    ['{"lanes": {"__proto__": {"vipWeight": 9}}}', "lanes.__proto__"],
    ['{"retry": {"constructor": {"maxAttempts": 2}}}', "retry.constructor"],
    ['{"prototype": 1}', "prototype"],
  ];
  for (const [json, path] of cases) {
    it(`${json}: refused naming ${path}, version unchanged`, async () => {
      const before = await snapshot();
      const res = await apply(json);
      expect(res.applied).toBe(false);
      expect(res.errors.map((e) => e.path)).toContain(path);
      expect((await snapshot()).configVersion).toBe(before.configVersion);
    });
  }
});
