// Reads the project's import graph from source (every relative import, static or dynamic, type-only included)
// and checks it against the layer order of docs/ARCHITECTURE.md: a folder may import its own files and the
// folders of lower layers only, and no two files may import each other, directly or round a longer loop.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The layers, lowest first (docs/ARCHITECTURE.md, rule L1). A folder may import a folder of a LOWER layer;
 * two folders of one layer may not import each other. A more specific path wins (server/core before server).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["server/core", "proto"],
  ["results"],
  ["traffic", "reports"],
  ["scenarios"],
  ["server"],
  ["simulator", "load"],
  ["workflows"],
  ["cli"],
  ["test"],
  ["bench"],
];

/** The folders whose files are checked (everything of ours that is imported or imports). */
export const SOURCE_ROOTS = LAYERS.flat();

export interface Import {
  /** Repository-relative path of the importing file. */
  file: string;
  line: number;
  specifier: string;
  /** Repository-relative path of the imported file. */
  target: string;
}

/** Blanks out comments (keeping every newline), so that offsets still give the right line numbers. */
function blankComments(source: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, " ");
  return source
    .replace(/\/\*[\s\S]*?\*\//g, blank)
    .replace(/(^|[^:"'`\\])(\/\/.*)$/gm, (_, pre, c) => pre + blank(c));
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;

/** The relative imports of one file's source; `file` is its repository-relative path. */
export function importsOf(file: string, source: string): Omit<Import, "target">[] {
  const code = blankComments(source);
  const out: Omit<Import, "target">[] = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const specifier = m[1]!;
    if (!specifier.startsWith(".")) continue;
    const line = code.slice(0, m.index).split("\n").length;
    out.push({ file, line, specifier });
  }
  return out;
}

/** The folder (one of SOURCE_ROOTS) that owns a repository-relative path, or undefined for other files. */
export function folderOf(path: string): string | undefined {
  let best: string | undefined;
  for (const root of SOURCE_ROOTS) {
    if ((path === root || path.startsWith(`${root}/`)) && (best === undefined || root.length > best.length)) {
      best = root;
    }
  }
  return best;
}

export function layerOf(folder: string): number {
  return LAYERS.findIndex((l) => l.includes(folder));
}

/** "file:line imports specifier (folder, layer n) from folder (layer m)" for each import that goes up or sideways. */
export function layeringViolations(imports: readonly Import[]): string[] {
  const out: string[] = [];
  for (const i of imports) {
    const from = folderOf(i.file);
    const to = folderOf(i.target);
    if (from === undefined) continue;
    if (to === undefined) {
      out.push(`${i.file}:${i.line} imports ${i.specifier}, which is outside every layer`);
      continue;
    }
    if (from === to) continue;
    const a = layerOf(from);
    const b = layerOf(to);
    if (b < a) continue;
    out.push(
      `${i.file}:${i.line} imports ${i.target}: ${from} (layer ${a}) may not import ${to} (layer ${b}, ${b === a ? "same layer" : "above"})`,
    );
  }
  return out;
}

/** Every cycle of the file graph (strongly connected components of more than one file, or a self-import). */
export function importCycles(imports: readonly Import[]): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!edges.has(i.file)) edges.set(i.file, new Set());
    edges.get(i.file)!.add(i.target);
  }
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of edges.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; it: Iterator<string> }[] = [];
    const visit = (node: string) => {
      index.set(node, next);
      low.set(node, next);
      next++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, it: (edges.get(node) ?? new Set<string>()).values() });
    };
    visit(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const step = top.it.next();
      if (!step.done) {
        const to = step.value;
        if (!index.has(to)) visit(to);
        else if (onStack.has(to)) low.set(top.node, Math.min(low.get(top.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = [];
        let n: string;
        do {
          n = stack.pop()!;
          onStack.delete(n);
          component.push(n);
        } while (n !== top.node);
        if (component.length > 1 || edges.get(top.node)?.has(top.node)) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

function sourceFiles(root: string, dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (name === "node_modules" || rel === "proto/gen") return [];
    if (statSync(join(root, rel)).isDirectory()) return sourceFiles(root, rel);
    return /\.(ts|mts|mjs)$/.test(name) ? [rel] : [];
  });
}

/** Every relative import of every source file under `root`, resolved to a repository-relative path. */
export function projectImports(root: string): Import[] {
  const roots = SOURCE_ROOTS.filter((r) => !SOURCE_ROOTS.some((o) => o !== r && r.startsWith(`${o}/`)));
  return roots.flatMap((dir) =>
    sourceFiles(root, dir).flatMap((file) =>
      importsOf(file, readFileSync(join(root, file), "utf8")).map((i) => ({
        ...i,
        target: relative(root, resolve(root, dirname(file), i.specifier)),
      })),
    ),
  );
}
