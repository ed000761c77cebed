// Seeded, named random streams: xoshiro128** seeded through splitmix32 from a hash of
// (seed, stream name). Pure arithmetic, so it is allowed in the core and is shared by the
// simulator and the live server. Math.random is never used (docs/ARCHITECTURE.md rules C1 and D1).
import type { RandomStream } from "./env.ts";

/** FNV-1a over the UTF-16 code units of a string, 32-bit. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128**: fast, 128-bit state, good statistical quality for simulation. */
export class Xoshiro128 implements RandomStream {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Hands out one independent stream per name, created on first use. */
export class RandomStreams {
  private readonly streams = new Map<string, Xoshiro128>();
  constructor(readonly seed: number) {}

  get(name: string): Xoshiro128 {
    let s = this.streams.get(name);
    if (!s) {
      s = new Xoshiro128(hashString(name, hashString(String(this.seed))));
      this.streams.set(name, s);
    }
    return s;
  }
}
