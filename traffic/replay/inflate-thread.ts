// Gzip inflated by Node's own zlib (native, about twice fflate's speed here) on a worker thread, read
// synchronously: the reader (traffic/replay/lines.ts) is synchronous, and Node's zlib has no synchronous
// streaming form. The worker streams the file through zlib.createGunzip and posts each inflated chunk's
// whole lines as text (decoding there too: it cost the reader's thread as much as inflating); the
// reader takes them with receiveMessageOnPort and, when none is there yet, blocks on Atomics.wait until the
// worker counts one more. At most WINDOW chunks are in flight (the worker waits for the reader), so memory
// stays bounded whatever the file's size. A big log's parse pass then runs on two cores: inflating on one,
// splitting and parsing on the other (bench/replay.ts prints the speed).
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

/** Inflated chunks posted and not yet taken, at most. */
const WINDOW = 32;

/**
 * Chunks taken per call at most: the text the reader holds at once stays small (about 256 KB), so the heap a
 * replay measures does not swing with how far ahead the worker happens to be.
 */
const TAKE = 4;

/** Slots of the shared state: chunks posted, chunks taken, the stream ended, the reader closed. */
const POSTED = 0;
const TAKEN = 1;
const ENDED = 2;
const CLOSED = 3;

// Plain CommonJS, run with `eval`: no loader (tsx) is needed in the worker.
const WORKER = `
const { workerData } = require("node:worker_threads");
const { createReadStream } = require("node:fs");
const { createGunzip } = require("node:zlib");
const { path, port, state, window } = workerData;
const s = new Int32Array(state);
const input = createReadStream(path, { highWaterMark: 1 << 16 });
const gunzip = createGunzip({ chunkSize: 1 << 16 });
const post = (message) => {
  port.postMessage(message);
  Atomics.add(s, ${POSTED}, 1);
  Atomics.notify(s, ${POSTED});
};
const stop = () => { input.destroy(); gunzip.destroy(); port.close(); };
// Bytes after the last line break: decoded with the next chunk (a line break is never inside a character).
let carry = Buffer.alloc(0);
gunzip.on("data", (chunk) => {
  while (Atomics.load(s, ${POSTED}) - Atomics.load(s, ${TAKEN}) >= window) {
    if (Atomics.load(s, ${CLOSED}) === 1) return stop();
    Atomics.wait(s, ${TAKEN}, Atomics.load(s, ${TAKEN}), 50);
  }
  if (Atomics.load(s, ${CLOSED}) === 1) return stop();
  const all = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
  const cut = all.lastIndexOf(10) + 1;
  carry = Buffer.from(all.subarray(cut));
  if (cut > 0) post(all.toString("utf8", 0, cut));
});
gunzip.on("end", () => {
  if (carry.length > 0) post(carry.toString("utf8"));
  Atomics.store(s, ${ENDED}, 1);
  post(null);
  port.close();
});
const fail = (e) => { post({ error: String(e && e.message || e) }); Atomics.store(s, ${ENDED}, 1); stop(); };
input.on("error", fail);
gunzip.on("error", fail);
input.pipe(gunzip);
`;

export class InflateThread {
  private readonly state = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private finished = false;

  constructor(path: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { path, port: port2, state: this.state.buffer, window: WINDOW },
      transferList: [port2],
    });
    // The reader's own lifetime decides; an idle inflater never keeps the process alive.
    this.worker.unref();
  }

  /**
   * The text of the inflated chunks ready now, up to TAKE of them (whole lines, but for the file's last line when it has no
   * line break), waiting for at least one; [] at the end of the file. Throws the worker's error (a corrupt
   * gzip stream, an unreadable file).
   */
  take(): string[] {
    const out: string[] = [];
    while (!this.finished && out.length < TAKE) {
      const seen = Atomics.load(this.state, POSTED);
      const m = receiveMessageOnPort(this.port);
      if (m === undefined) {
        if (out.length > 0) break;
        // Nothing yet: sleep until the worker posts again (it counts after posting).
        Atomics.wait(this.state, POSTED, seen, 1000);
        continue;
      }
      Atomics.add(this.state, TAKEN, 1);
      Atomics.notify(this.state, TAKEN);
      const message = m.message as string | { error: string } | null;
      if (message === null) this.finished = true;
      else if (typeof message === "string") out.push(message);
      else {
        this.close();
        throw new Error(message.error);
      }
    }
    return out;
  }

  close(): void {
    this.finished = true;
    Atomics.store(this.state, CLOSED, 1);
    Atomics.notify(this.state, TAKEN);
    this.port.close();
    void this.worker.terminate();
  }
}
