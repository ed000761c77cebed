// Worker threads start without the TypeScript loader of the parent (tsx, or vitest's); register tsx
// here, then run the worker written in TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
