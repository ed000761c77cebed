// The errors a user meets most, through the installed command (cli/bin.mjs, as a user runs it): each
// is one line naming the file, field or port, exit 2, and no stack trace unless --verbose.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIN = new URL("../../cli/bin.mjs", import.meta.url).pathname;
const DEFINE = new URL("../../scenarios/define.ts", import.meta.url).pathname;
// Outside this package (no "type": "module" folder): a .ts file there is CommonJS to Node.
const dir = mkdtempSync(join(tmpdir(), "rushhour-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SCENARIO = {
  name: "tiny",
  traffic: { executor: "constant-arrival-rate", rate: 10, duration: "2s" },
  providers: [{ id: "p1", latency: { p50: "40ms", p99: "200ms" }, capacity: 10 }],
  cluster: { primary: { workers: 4 }, backup: { workers: 2 } },
};

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function rushhour(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: dir });
  // The message lines, without the "See: rushhour X --help" hint.
  const lines = r.stderr.split("\n").filter((l) => l !== "" && !l.startsWith("See: rushhour"));
  return { status: r.status, stderr: r.stderr, lines };
}

function expectOneLine(r: ReturnType<typeof rushhour>, ...parts: (string | RegExp)[]) {
  expect(r.status, r.stderr).toBe(2);
  expect(r.lines, r.stderr).toHaveLength(1);
  for (const part of parts) expect(r.lines[0]).toMatch(part);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/data:text\/javascript/);
}

describe("scenario files that fail to load", () => {
  it("a scenario that throws on import reports its own error, not a require() cycle", () => {
    const file = write(
      "throws.ts",
      `import { defineScenario } from ${JSON.stringify(DEFINE)};\nthrow new Error("boom from scenario");\nexport default defineScenario({} as never);\n`,
    );
    const r = rushhour(["sim", file]);
    expect(r.stderr).not.toMatch(/cycle/);
    expectOneLine(r, file, /boom from scenario/);
  });

  it("a scenario with a syntax error names the file and the error", () => {
    const file = write("syntax.ts", "export default {\n");
    const r = rushhour(["sim", file]);
    expect(r.stderr).not.toMatch(/cycle/);
    expectOneLine(r, file, /Expected identifier but found end of file/);
  });

  it("a scenario whose getter throws: one short line, not the module's data URL and stack", () => {
    const file = write(
      "getter.ts",
      `export default {\n  name: "getter",\n  get traffic() { throw new Error("getter boom"); },\n  providers: [],\n  cluster: {},\n};\n`,
    );
    const r = rushhour(["sim", file]);
    expectOneLine(r, file, /getter boom/);
    expect(r.lines[0]!.length).toBeLessThan(400);
  });

  it("--verbose shows the stack", () => {
    const file = join(dir, "getter.ts");
    const r = rushhour(["sim", file, "--verbose"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/getter boom/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe("output and server flags", () => {
  it("--out naming an existing file is refused naming --out and the file", () => {
    const scenario = write("ok.ts", `export default ${JSON.stringify(SCENARIO)};\n`);
    const out = write("existing.json", "{}");
    const r = rushhour(["sim", scenario, "--replications", "1", "--out", out]);
    expectOneLine(r, /--out/, out);
    expect(r.stderr).not.toMatch(/EEXIST: file already exists, mkdir/);
  });

  it("a busy port is one line naming the port, without grpc-js's own log line", async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) => {
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port));
    });
    try {
      const r = rushhour([
        "serve",
        "--port",
        String(port),
        "--store",
        "memory:",
        "--metrics-port",
        "off",
        "--admin-token",
        "test-admin-token",
      ]);
      expect(r.stderr).not.toMatch(/No address added/);
      expectOneLine(r, /--port/, String(port), /in use/);
    } finally {
      blocker.close();
    }
  });

  it("an unparseable PostgreSQL URL is refused without echoing its password", () => {
    const r = rushhour(["serve", "--port", "0", "--store", "postgres://bob:s3cretpw@db.example:notaport/x"]);
    expect(r.stderr).not.toMatch(/s3cretpw/);
    expectOneLine(r, /--store/, /postgres:\/\/bob:\*+@db\.example/);
  });
});
