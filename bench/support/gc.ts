// A forced full GC for the memory figures: heap used is read after it, so it counts what is live,
// not garbage a lazy collector has not reached yet (64 MB semi-spaces hold a lot of it).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose_gc");
export const gc = runInNewContext("gc") as () => void;
