// The flags that choose a shard of a sharded run, shared by `load` (--segment i/n, --segment-index,
// --segment-count) and `sim` (--shard i/n, --shard-index, --shard-count). In a Kubernetes Indexed Job the
// index comes from $JOB_COMPLETION_INDEX, so a pod template needs only the count (deploy/k8s/README.md).
import { checkSegment, type ExecutionSegment, parseSegment } from "../traffic/segment.ts";
import { UsageError } from "./command.ts";

/** The environment variable an Indexed Job sets in every pod to its completion index. */
export const COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX";

/** parseArgs options for the flags of `name` ("segment" or "shard"). */
export function segmentOptions<N extends string>(name: N) {
  return {
    [name]: { type: "string" },
    [`${name}-index`]: { type: "string" },
    [`${name}-count`]: { type: "string" },
  } as Record<N | `${N}-index` | `${N}-count`, { type: "string" }>;
}

function whole(text: string, flag: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

/**
 * The segment the flags choose, or undefined for an unsharded run: `--NAME i/n`, or `--NAME-count n` with
 * `--NAME-index i` or, without it, $JOB_COMPLETION_INDEX. Throws UsageError naming the flag.
 */
export function segmentFromFlags(
  name: string,
  values: Readonly<Record<string, string | boolean | undefined>>,
  env: NodeJS.ProcessEnv = process.env,
): ExecutionSegment | undefined {
  const pair = values[name];
  const index = values[`${name}-index`];
  const count = values[`${name}-count`];
  const wrap = (f: () => ExecutionSegment) => {
    try {
      return f();
    } catch (err) {
      throw err instanceof UsageError ? err : new UsageError((err as Error).message);
    }
  };
  if (typeof pair === "string") {
    if (index !== undefined || count !== undefined) {
      throw new UsageError(
        `--${name} INDEX/COUNT and --${name}-index/--${name}-count are alternatives: give one`,
      );
    }
    return wrap(() => parseSegment(pair, `--${name}`));
  }
  if (typeof index === "string" && count === undefined) {
    throw new UsageError(`--${name}-index needs --${name}-count (how many shards the run has)`);
  }
  if (typeof count !== "string") return undefined;
  const n = whole(count, `--${name}-count`);
  if (typeof index === "string")
    return wrap(() => checkSegment(whole(index, `--${name}-index`), n, `--${name}-index`));
  const fromEnv = env[COMPLETION_INDEX_ENV];
  if (fromEnv === undefined || fromEnv === "") {
    throw new UsageError(
      `--${name}-count ${count} needs the shard's index: --${name}-index I, or $${COMPLETION_INDEX_ENV} (set in an Indexed Job's pods)`,
    );
  }
  return wrap(() => checkSegment(whole(fromEnv, `$${COMPLETION_INDEX_ENV}`), n, `$${COMPLETION_INDEX_ENV}`));
}

/** The file suffix of a shard's RunResult, so shards can write into one folder. */
export function shardSuffix(segment: ExecutionSegment | undefined): string {
  return segment === undefined ? "" : `.shard-${segment.index}-of-${segment.count}`;
}
