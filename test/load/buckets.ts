// The exact content of an encoded histogram: [value, count] for every non-empty bucket. Two
// histograms hold the same samples (to HDR precision) iff their bucket lists are equal; the encoded
// strings themselves may differ in layout (auto-resized ranges).
import * as hdr from "hdr-histogram-js";

export function buckets(encoded: string): [number, number][] {
  if (encoded === "") return [];
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false) as unknown as hdr.JsHistogram;
  const it = h.recordedValuesIterator;
  it.reset();
  const out: [number, number][] = [];
  while (it.hasNext()) {
    const v = it.next();
    out.push([v.valueIteratedTo, v.countAtValueIteratedTo]);
  }
  return out;
}
