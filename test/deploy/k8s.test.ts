// The Kubernetes manifests (deploy/k8s/), checked offline as CI can: every file of each Kustomize folder is
// listed in it and validates against the Kubernetes API schemas (kubernetes-models); the Indexed Jobs give
// pod i shard i of n through $JOB_COMPLETION_INDEX with flags the commands accept; every $(VAR) an argument
// uses is defined; the Dockerfile installs exactly as the README's set-up does.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { commands } from "../../cli/commands/index.ts";
import { segmentFromFlags } from "../../cli/segment-flags.ts";

const ROOT = join(import.meta.dirname, "../..");
const BASE = join(ROOT, "deploy/k8s");
const FOLDERS = [BASE, join(BASE, "load"), join(BASE, "sim")];

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML until a model validates them.
type Manifest = any;

const MODELS: Record<string, new (data: Manifest) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "batch/v1/Job": Job,
  "v1/Service": Service,
  "v1/Secret": Secret,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
};

function validate(doc: Manifest, where: string): void {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (Model === undefined) throw new Error(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`);
  try {
    new Model(doc).validate();
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

function manifests(folder: string): { file: string; doc: Manifest }[] {
  const kustomization = parseYaml(readFileSync(join(folder, "kustomization.yaml"), "utf8"));
  return (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(join(folder, file), "utf8")).map((d) => {
      expect(d.errors, file).toEqual([]);
      return { file: join(folder, file), doc: d.toJSON() };
    }),
  );
}

const all = FOLDERS.flatMap(manifests);
const jobs = all.filter((m) => m.doc.kind === "Job").map((m) => m.doc);

describe("deploy/k8s", () => {
  it("lists every manifest of each Kustomize folder, and each validates against the Kubernetes schema", () => {
    for (const folder of FOLDERS) {
      const listed = parseYaml(readFileSync(join(folder, "kustomization.yaml"), "utf8")).resources;
      const files = readdirSync(folder).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
      expect([...listed].sort(), folder).toEqual(files.sort());
    }
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const { file, doc } of all) validate(doc, file);
  });

  it("refuses a manifest the schema refuses (the validation is live)", () => {
    const job = structuredClone(jobs[0]);
    job.spec.completions = "three";
    expect(() => validate(job, "broken")).toThrow(/completions must be integer/);
  });

  it("runs the driver and the sweep as Indexed Jobs: pod i is shard i of n, from JOB_COMPLETION_INDEX", async () => {
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(["rushhour-load", "rushhour-sim"]);
    for (const job of jobs) {
      expect(job.spec.completionMode).toBe("Indexed");
      expect(job.spec.parallelism).toBe(job.spec.completions);
      const args: string[] = job.spec.template.spec.containers[0].args;
      const name = args[0] === "load" ? "segment" : "shard";
      const values = { [`${name}-count`]: args[args.indexOf(`--${name}-count`) + 1] };
      const n = job.spec.completions;
      for (let i = 0; i < n; i++) {
        expect(segmentFromFlags(name, values, { JOB_COMPLETION_INDEX: String(i) })).toEqual({
          index: i,
          count: n,
        });
      }
      // Every flag is one the command documents (its --help lists it).
      const entry = commands.find((c) => c.name === args[0]);
      const help = (await entry!.load()).help;
      for (const flag of args.filter((a) => a.startsWith("--")))
        expect(help, `${args[0]} ${flag}`).toContain(flag);
    }
  });

  it("defines every $(VAR) an argument uses, from keys the Secret has", () => {
    const secret = all.find((m) => m.doc.kind === "Secret")!.doc;
    const pods = all.flatMap(({ file, doc }) => {
      const spec = doc.spec?.template?.spec;
      return spec ? spec.containers.map((c: Manifest) => ({ file, c, spec })) : [];
    });
    expect(pods.length).toBe(6);
    for (const { file, c, spec } of pods) {
      const env = new Map<string, Manifest>((c.env ?? []).map((e: Manifest) => [e.name, e]));
      for (const arg of c.args ?? []) {
        for (const [, name] of (arg as string).matchAll(/\$\((\w+)\)/g))
          expect(env.has(name!), `${file} $(${name})`).toBe(true);
      }
      for (const e of env.values()) {
        const key = e.valueFrom?.secretKeyRef?.key;
        if (key !== undefined) expect(Object.keys(secret.stringData), `${file} ${key}`).toContain(key);
      }
      for (const v of spec.volumes ?? []) {
        if (v.secret) expect(v.secret.secretName).toBe(secret.metadata.name);
      }
    }
  });

  it("builds the image with the README's set-up steps and nothing else", () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const setUp = /## Set-up\n\n```sh\n([^`]*)```/.exec(readme)?.[1] ?? "";
    const install = setUp.split("\n")[0]!.split("&&")[0]!.trim();
    expect(install).toBe("npm ci");
    const npmSteps = [...dockerfile.matchAll(/^RUN (npm .*)$/gm)].map((m) => m[1]);
    expect(npmSteps).toEqual([install]);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const major = Number(/^FROM node:(\d+)/m.exec(dockerfile)?.[1]);
    expect(Number(/>=(\d+)/.exec(pkg.engines.node)?.[1])).toBeLessThanOrEqual(major);
    expect(dockerfile).toMatch(/ENTRYPOINT \[.*"cli\/bin\.mjs"\]/);
  });
});
