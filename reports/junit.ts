// JUnit XML for CI systems: one <testsuite> per scenario, one <testcase> per gate check.
import type { GateCheck } from "./gate.ts";

export function escapeXml(text: string): string {
  return (
    text
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&apos;")
      // XML 1.0 cannot carry control characters other than tab, newline and carriage return.
      .replace(/[^\t\n\r\u0020-\uFFFF]/g, "")
  );
}

export function junitXml(checks: readonly GateCheck[], name = "rushhour gate"): string {
  const suites = new Map<string, GateCheck[]>();
  for (const c of checks) suites.set(c.suite, [...(suites.get(c.suite) ?? []), c]);
  const failures = checks.filter((c) => !c.ok).length;
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${escapeXml(name)}" tests="${checks.length}" failures="${failures}">`,
  ];
  for (const [suite, list] of suites) {
    const f = list.filter((c) => !c.ok).length;
    out.push(`  <testsuite name="${escapeXml(suite)}" tests="${list.length}" failures="${f}">`);
    for (const c of list) {
      const open = `    <testcase classname="rushhour.gate.${escapeXml(suite)}" name="${escapeXml(c.name)}"`;
      if (c.ok) {
        out.push(`${open}/>`);
      } else {
        out.push(`${open}>`, `      <failure message="${escapeXml(c.message)}"/>`, "    </testcase>");
      }
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}
