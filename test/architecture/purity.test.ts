// docs/ARCHITECTURE.md rule C1: server/core is sans-I/O. This test reads every file under server/core and
// fails on an import that could do I/O or on a call that reads the real clock or real randomness. Which of
// our own folders the core may import is the layering test's business (layering.test.ts: none).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const coreDir = join(root, "server/core");

/** Bare packages the core may import: pure computation only. */
const ALLOWED_PACKAGES = new Set(["zod", "simple-statistics"]);

const FORBIDDEN_CALLS: [RegExp, string][] = [
  [/\bDate\.now\s*\(/, "Date.now()"],
  [/\bnew\s+Date\s*\(/, "new Date()"],
  [/\bperformance\.now\s*\(/, "performance.now()"],
  [/\bsetTimeout\s*\(/, "setTimeout()"],
  [/\bsetInterval\s*\(/, "setInterval()"],
  [/\bsetImmediate\s*\(/, "setImmediate()"],
  [/\bqueueMicrotask\s*\(/, "queueMicrotask()"],
  [/\bprocess\.(hrtime|nextTick|env|cpuUsage|memoryUsage)\b/, "process.*"],
  [/\bMath\.random\s*\(/, "Math.random()"],
  [/\brequire\s*\(/, "require()"],
];

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Every violation in one file's source; `file` is its path, used to resolve relative imports. */
function violations(file: string, source: string): string[] {
  const found: string[] = [];
  const code = stripComments(source);
  const specifiers = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((m) => m[1]!);
  for (const spec of specifiers) {
    if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(coreDir)) found.push(`imports ${spec}, outside server/core`);
    } else if (!ALLOWED_PACKAGES.has(spec)) {
      found.push(`imports "${spec}" (only ${[...ALLOWED_PACKAGES].join(", ")} and core files are allowed)`);
    }
  }
  for (const [pattern, name] of FORBIDDEN_CALLS) {
    if (pattern.test(code)) found.push(`calls ${name}`);
  }
  return found;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

describe("server/core purity (docs/ARCHITECTURE.md C1)", () => {
  it("no file under server/core does I/O, reads the clock or calls Math.random", () => {
    const files = tsFiles(coreDir);
    expect(files.length).toBeGreaterThan(0);
    const report = files.flatMap((f) =>
      violations(f, readFileSync(f, "utf8")).map((v) => `${relative(root, f)}: ${v}`),
    );
    expect(report).toEqual([]);
  });

  it("the checker catches each forbidden import and call", () => {
    const file = join(coreDir, "x.ts");
    const bad = [
      `import { readFileSync } from "node:fs";`,
      `import net from "net";`,
      `import pg from "pg";`,
      `import { x } from "../store/sqlite.ts";`,
      `const t = Date.now();`,
      `const p = performance.now();`,
      `setTimeout(() => {}, 1);`,
      `setInterval(() => {}, 1);`,
      `const r = Math.random();`,
      `const m = await import("node:child_process");`,
    ];
    for (const line of bad) expect(violations(file, line), line).not.toEqual([]);
    expect(
      violations(file, `import { z } from "zod";\nimport { a } from "./env.ts";\n// Date.now() in a comment`),
    ).toEqual([]);
  });
});
