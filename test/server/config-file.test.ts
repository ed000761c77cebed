// One configuration file format for every command: `serve --config FILE` reads a file exactly as
// `sim --config FILE` does ({"extends": "legacy"|"adaptive", ...overrides}; without "extends" the
// overrides apply to adaptive), and both refuse the same bad files naming the field.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PRESETS } from "../../server/core/index.ts";
import { resolveConfig } from "../../simulator/configs.ts";
import { spawnServe } from "../support/spawn.ts";
import { bearer, call, clients } from "./grpc/clients.ts";

const dir = mkdtempSync(join(tmpdir(), "rushhour-config-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, json: string): string {
  const path = join(dir, name);
  writeFileSync(path, json);
  return path;
}

function serveExit(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "serve", "--port", "0", ...args], {
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr };
}

describe("serve --config reads the same files as sim --config", () => {
  it('serves a file with "extends": legacy and its overrides', async () => {
    const path = file("legacy-retry.json", JSON.stringify({ extends: "legacy", retry: { maxAttempts: 5 } }));
    // The simulator's reading of the file...
    const sim = resolveConfig(path);
    expect(sim.lanes).toEqual(PRESETS.legacy.lanes);
    expect(sim.retry.maxAttempts).toBe(5);
    // ... is what the server runs.
    const server = await spawnServe(["--config", path, "--skus", "sku-a", "--seed-stock", "10"]);
    const c = clients(server.address);
    try {
      const res = await call(c.admin.getConfig, c.admin, {}, { metadata: bearer(server.adminToken) });
      expect(JSON.parse(res.configJson)).toEqual(sim);
    } finally {
      c.close();
      await server.stop();
    }
  });

  it("a file without extends overrides adaptive, in sim as in serve", () => {
    const path = file("partial.json", JSON.stringify({ provider: { timeoutMs: 500 } }));
    const config = resolveConfig(path);
    expect(config.provider).toEqual({ ...PRESETS.adaptive.provider, timeoutMs: 500 });
    expect(config.lanes).toEqual(PRESETS.adaptive.lanes);
  });

  it("refuses an unknown preset in extends and reserved keys, naming them, exit 2", () => {
    const unknown = serveExit(["--config", file("turbo.json", '{"extends": "turbo"}')]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/"extends" must be "legacy" or "adaptive"/);
    const proto = serveExit([
      "--config",
      file("proto.json", '{"extends": "adaptive", "__proto__": {"x": 1}}'),
    ]);
    expect(proto.status).toBe(2);
    expect(proto.stderr).toMatch(/__proto__: /);
    expect(() => resolveConfig(join(dir, "proto.json"))).toThrow(/__proto__: /);
  });
});
