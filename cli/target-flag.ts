// `--target HOST:PORT[,HOST:PORT...]`, as load, calibrate and twin take it: the addresses, or a problem naming
// each one that is not HOST:PORT.
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** The --target addresses (undefined when the flag is absent); bad ones go to `problems`. */
export function targetsFlag(value: string | undefined, problems: string[]): string[] | undefined {
  const targets = value?.split(",").map((t) => t.trim());
  for (const t of targets ?? []) {
    const m = HOST_PORT.exec(t);
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      problems.push(`--target: "${t}" is not HOST:PORT`);
    }
  }
  return targets;
}
