// A webhook receiver on 127.0.0.1 for the root-cause push tests (serve --notify): records each POST
// and answers 200; tests wait on its "received" event, never on sleeps.
import { once } from "node:events";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: IncomingMessage["headers"];
  url: string;
  body: string;
}

export async function receiver() {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push({ headers: req.headers, url: req.url ?? "", body: Buffer.concat(chunks).toString() });
      res.end("ok");
      server.emit("received");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    requests,
    url: `http://127.0.0.1:${port}/hook/secret-path`,
    /** Resolves once `n` requests have arrived. */
    async count(n: number): Promise<void> {
      while (requests.length < n) await once(server, "received");
    },
  };
}
