// Node/V8 flags for processes that serve orders (`rushhour serve`, `rushhour providers`), added by
// everything in this package that spawns one. A server allocates a few KB per order that dies within
// milliseconds of the reply; V8's default young generation (16 MB semi-spaces) fills every ~150 ms at
// 1,500 orders/s and promotes whatever is in flight, and the old generation then needs mark-compact
// pauses of 50-100 ms. 64 MB semi-spaces let those objects die young: in side-by-side runs at
// 1,500 orders/s (out-of-tree A/B, memory store) client-side P99 went from 196-258 ms to 50-66 ms.
// cli/bin.mjs carries the same flag in its shebang, so every `rushhour` command runs with it (the
// simulator, which allocates like a server, gains too), and `npm run bench` measures with it.
export const SERVER_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=64"];
