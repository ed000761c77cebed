// The charts and page of `rushhour traffic <log>`: an order log's arrival rate per second, its VIP share and
// its top SKUs' shares over time (PNG through reports/png.ts, and one HTML page with the same SVGs).
// The input is plain series (traffic/replay/summary.ts computes them; reports/ does not read logs).

import { PALETTE, percent } from "./charts/frame.ts";
import { lineChart } from "./charts/line.ts";
import { CSS, escapeHtml } from "./html.ts";

export interface TrafficLogView {
  file: string;
  orders: number;
  vip: number;
  firstT: number;
  lastT: number;
  perSecond: number[];
  vipPerSecond: number[];
  bucketSeconds: number;
  top: { sku: string; orders: number; perBucket: number[] }[];
  skus: number;
}

export interface TrafficChart {
  id: string;
  title: string;
  svg: string;
}

export function trafficCharts(v: TrafficLogView): TrafficChart[] {
  const seconds = v.perSecond.map((_, s) => s);
  const buckets = Math.ceil(v.perSecond.length / v.bucketSeconds);
  const bucketX = Array.from({ length: buckets }, (_, b) => b * v.bucketSeconds);
  const bucketOrders = bucketX.map((_, b) =>
    v.perSecond.slice(b * v.bucketSeconds, (b + 1) * v.bucketSeconds).reduce((a, n) => a + n, 0),
  );
  const bucketVip = bucketX.map((_, b) =>
    v.vipPerSecond.slice(b * v.bucketSeconds, (b + 1) * v.bucketSeconds).reduce((a, n) => a + n, 0),
  );
  const share = (n: number, b: number) =>
    (bucketOrders[b] as number) > 0 ? n / (bucketOrders[b] as number) : 0;
  const specs = [
    {
      id: "arrival-rate",
      title: "Arrival rate per second",
      yLabel: "orders/s",
      series: [{ name: "orders/s", x: seconds, y: v.perSecond, color: PALETTE[0] }],
    },
    {
      id: "tier-mix",
      title: `VIP share (per ${v.bucketSeconds} s)`,
      yLabel: "VIP share",
      yTickFormat: percent,
      series: [{ name: "vip", x: bucketX, y: bucketVip.map(share), color: PALETTE[1] }],
    },
    {
      id: "top-skus",
      title: `Top ${v.top.length} SKUs' share of orders (per ${v.bucketSeconds} s)`,
      yLabel: "share of orders",
      yTickFormat: percent,
      series: v.top.map((t, k) => ({
        name: t.sku,
        x: bucketX,
        y: t.perBucket.map(share),
        color: PALETTE[k % PALETTE.length],
      })),
    },
  ];
  return specs.map((s) => ({
    id: s.id,
    title: s.title,
    svg: lineChart({ ...s, xLabel: "time since the first order", xTime: true }),
  }));
}

export function trafficHtml(v: TrafficLogView, charts: TrafficChart[], historyFile: string): string {
  const spanS = (v.lastT - v.firstT) / 1000;
  const peak = Math.max(...v.perSecond);
  const rows = [
    ["orders", v.orders.toLocaleString("en")],
    ["first order", new Date(v.firstT).toISOString()],
    ["span", `${spanS.toFixed(1)} s`],
    ["mean rate", `${(spanS > 0 ? v.orders / spanS : v.orders).toFixed(1)} orders/s`],
    ["busiest second", `${peak} orders`],
    ["VIP share", percent(v.vip / v.orders)],
    ["distinct SKUs", String(v.skus)],
    ...v.top.map((t, k) => [`SKU #${k + 1}`, `${t.sku} (${percent(t.orders / v.orders)})`]),
    ["demand history", historyFile],
  ];
  return [
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">`,
    `<title>${escapeHtml(`traffic of ${v.file}`)}</title><style>${CSS}</style></head><body>`,
    `<h1>${escapeHtml(`Traffic of ${v.file}`)}</h1>`,
    `<table>${rows.map(([k, val]) => `<tr><td>${escapeHtml(k as string)}</td><td class="num">${escapeHtml(val as string)}</td></tr>`).join("")}</table>`,
    ...charts.map((c) => `<figure>${c.svg}<figcaption>${escapeHtml(c.title)}</figcaption></figure>`),
    `</body></html>\n`,
  ].join("\n");
}
