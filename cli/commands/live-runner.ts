// The suite's and the demo's bridge to the live load driver: undefined until the driver exposes a
// programmatic "run this scenario against an embedded server" entry point.
import type { LiveRunner } from "../../reports/suite.ts";

export async function liveRunner(): Promise<LiveRunner | undefined> {
  return undefined;
}
