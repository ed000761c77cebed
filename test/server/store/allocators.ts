// Runs several allocator-child.ts processes against one store and starts them together.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ChildConfig, ChildReport } from "./allocator-child.ts";

const CHILD = fileURLToPath(new URL("./allocator-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export async function runAllocatorProcesses(configs: ChildConfig[]): Promise<ChildReport[]> {
  const children = configs.map((config) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(config)], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let onReady = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      child.once("exit", (code) => reject(new Error(`allocator exited early (${code}): ${err}`)));
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.startsWith("ready\n")) onReady();
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      err += d;
    });
    const done = new Promise<ChildReport>((resolve, reject) => {
      child.once("exit", (code) => {
        if (code !== 0) return reject(new Error(`allocator failed (${code}): ${err}`));
        resolve(JSON.parse(out.slice("ready\n".length)) as ChildReport);
      });
    });
    done.catch(() => {});
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.write("go\n");
    return await Promise.all(children.map((c) => c.done));
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
  }
}
