// Engine processes start without the TypeScript loader of their parent (tsx, or vitest's): register tsx
// here, then run the engine host written in TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./engine-process.ts");
