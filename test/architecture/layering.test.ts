// docs/ARCHITECTURE.md rules L1 and L2: dependencies point one way (down the layers) and no two files import
// each other. This test reads every relative import of the repository's own TypeScript.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Import, importCycles, importsOf, layeringViolations, projectImports } from "./imports.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function planted(file: string, source: string): Import[] {
  return importsOf(file, source).map((i) => ({
    ...i,
    target: resolve("/", dirname(file), i.specifier).slice(1),
  }));
}

describe("layering (docs/ARCHITECTURE.md L1, L2)", () => {
  const imports = projectImports(root);

  it("reads the imports of every layer", () => {
    const files = new Set(imports.map((i) => i.file.split("/")[0]));
    for (const f of ["server", "results", "traffic", "scenarios", "simulator", "load", "reports", "cli"]) {
      expect(files, f).toContain(f);
    }
  });

  it("no folder imports a folder of its own or a higher layer", () => {
    expect(layeringViolations(imports)).toEqual([]);
  });

  it("no import cycle between files", () => {
    expect(importCycles(imports)).toEqual([]);
  });

  it("the checker names each upward or sideways import with file:line", () => {
    const bad = planted(
      "results/x.ts",
      `// a comment: import { no } from "../cli/main.ts";\nimport type { RunView } from "../reports/model.ts";\nconst m = await import("../simulator/runner.ts");\nimport { ok } from "./run-result.ts";\nimport { core } from "../server/core/env.ts";\n`,
    );
    expect(layeringViolations(bad)).toEqual([
      "results/x.ts:2 imports reports/model.ts: results (layer 1) may not import reports (layer 2, above)",
      "results/x.ts:3 imports simulator/runner.ts: results (layer 1) may not import simulator (layer 5, above)",
    ]);
    expect(
      layeringViolations(planted("load/x.ts", `import { simulate } from "../simulator/runner.ts";`)),
    ).toEqual([
      "load/x.ts:1 imports simulator/runner.ts: load (layer 5) may not import simulator (layer 5, same layer)",
    ]);
    expect(
      layeringViolations(planted("server/core/x.ts", `import { a } from "../store/open.ts";`)),
    ).toHaveLength(1);
  });

  it("the checker finds a loop of any length", () => {
    const loop = [
      ...planted("load/a.ts", `import { b } from "./b.ts";`),
      ...planted("load/b.ts", `import type { C } from "./c.ts";`),
      ...planted("load/c.ts", `export { a } from "./a.ts";`),
      ...planted("load/d.ts", `import { a } from "./a.ts";`),
    ];
    expect(importCycles(loop)).toEqual([["load/a.ts", "load/b.ts", "load/c.ts"]]);
  });
});
