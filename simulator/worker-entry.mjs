// Worker-thread entry for parallel replications: registers tsx (a worker does not inherit the
// parent's loader) and loads the TypeScript worker.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
