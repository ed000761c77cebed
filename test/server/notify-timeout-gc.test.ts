// A push to a receiver that accepts and never answers ends in its timeout even while the garbage collector
// runs: the timeout once came from AbortSignal.timeout() inside AbortSignal.any(), whose timer holds its signal
// only weakly, and with collections running such a POST stayed pending for good (checked: 20 of 20 POSTs hung
// that way, none with a timer of the notifier's own). The test waits on the notifier's "failed" event: with the
// weak timer it never comes and the test times out.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, describe, expect, it } from "vitest";
import { incidentPush, Notifier } from "../../server/notify.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const hanging = createServer(() => {
  // Never answers.
});
afterAll(() => {
  hanging.closeAllConnections();
  hanging.close();
});

describe("a push to a receiver that never answers, under collections", () => {
  it("times out and is counted as failed, attempt after attempt", async () => {
    hanging.listen(0, "127.0.0.1");
    await once(hanging, "listening");
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`;
    const notifier = new Notifier(
      { urls: [url], format: "json", timeoutMs: 100, maxAttempts: 2, backoffMs: 10, capacity: 10 },
      () => {},
    );
    const collecting = setInterval(gc, 5);
    try {
      for (let k = 1; k <= 5; k++) {
        const failed = once(notifier, "failed");
        notifier.push(
          incidentPush(
            {
              id: `incident-${k}`,
              providerId: "p1",
              openedAt: 0,
              closedAt: null,
              ordersDiverted: 0,
              ordersRetried: 0,
              timeline: [{ at: 0, what: "HEALTHY -> ISOLATED: failure rate 80% over 50%" }],
              outcome: null,
            },
            (t) => t,
          ),
        );
        await failed;
      }
    } finally {
      clearInterval(collecting);
      await notifier.close();
    }
    expect(notifier.stats).toMatchObject({ sent: 0, failed: 5, dropped: 0 });
  });
});
