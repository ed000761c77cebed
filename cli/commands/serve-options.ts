// Parsing of `rushhour serve` flags into ServeOptions; every bad value is a UsageError (exit 2).

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ServeOptions } from "../../server/app.ts";
import { ClientTokensError, readClientTokens } from "../../server/client-tokens.ts";
import { presetByName } from "../../server/core-binding.ts";
import { NOTIFY_FORMATS, type NotifyFormat, NotifyUrlError, parseNotifyUrl } from "../../server/notify.ts";
import { defaultProviders, zeroLatencyProviders } from "../../server/providers/model.ts";
import { ProviderSpecError, readProviderSpec } from "../../server/providers/spec-file.ts";
import { readSecretFile, readTlsFlags, SecurityOptionError } from "../../server/security-options.ts";
import { parseStoreUrl, StoreUrlError } from "../../server/store/open.ts";
import { type TracingOptions, tracingFromEnv } from "../../server/tracing.ts";
import { ConfigError, resolveConfig } from "../../simulator/configs.ts";
import { UsageError } from "../command.ts";

export function intFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

export function hostPort(flag: string, value: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
    throw new UsageError(`--${flag} must be HOST:PORT, got "${value}"`);
  }
  return value;
}

/** `--config`: read by the one loader every command shares (simulator/configs.ts). */
export function readConfigFlag(value: string): { config: unknown; preset: string } {
  try {
    const config = resolveConfig(value);
    return { config, preset: presetByName(value) === undefined ? "custom" : value };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
}

export function readSkus(value: string | undefined): string[] {
  if (value === undefined) return Array.from({ length: 20 }, (_, i) => `sku-${i + 1}`);
  if (/^\d+$/.test(value)) {
    const n = intFlag("skus", value, 20, 1, 100_000);
    return Array.from({ length: n }, (_, i) => `sku-${i + 1}`);
  }
  const list = value.split(",").map((s) => s.trim());
  for (const sku of list) {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(sku)) {
      throw new UsageError(`--skus: "${sku}" is not a SKU (1-64 characters of [A-Za-z0-9._:-])`);
    }
  }
  return list;
}

export function readProvidersFlag(value: string): ServeOptions["providers"] {
  if (value === "local") return { kind: "local", models: defaultProviders(4) };
  if (value === "local:zero") return { kind: "local", models: zeroLatencyProviders(4) };
  if (value.startsWith("local:")) {
    try {
      const spec = readProviderSpec(value.slice("local:".length));
      return { kind: "local", models: spec.providers, risk: spec.risk, notification: spec.notification };
    } catch (err) {
      if (err instanceof ProviderSpecError) throw new UsageError(err.message);
      throw err;
    }
  }
  const addresses = value.split(",").map((a) => hostPort("providers", a.trim()));
  return { kind: "remote", addresses };
}

export function checkStoreUrl(value: string): string {
  try {
    parseStoreUrl(value);
  } catch (err) {
    if (err instanceof StoreUrlError) throw new UsageError(`--store: ${err.message}`);
    throw err;
  }
  return value;
}

/**
 * The admin token: --admin-token (visible in `ps`), --admin-token-file, $RUSHHOUR_ADMIN_TOKEN, else a
 * generated one.
 */
function secret(flag: string, path: string): string {
  try {
    return readSecretFile(flag, path);
  } catch (err) {
    if (err instanceof SecurityOptionError) throw new UsageError(err.message);
    throw err;
  }
}

/** --client-tokens, --tls-cert, --tls-key and --tls-client-ca as ServeOptions fields. */
export function securityOptions(values: {
  "client-tokens"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  "tls-client-ca"?: string;
}): Pick<ServeOptions, "clientTokens" | "tls"> {
  try {
    const path = values["client-tokens"];
    return {
      clientTokens: path === undefined ? undefined : readClientTokens(path),
      tls: readTlsFlags({
        cert: values["tls-cert"],
        key: values["tls-key"],
        clientCa: values["tls-client-ca"],
      }),
    };
  } catch (err) {
    if (err instanceof ClientTokensError) throw new UsageError(`--client-tokens ${err.message}`);
    if (err instanceof SecurityOptionError) throw new UsageError(err.message);
    throw err;
  }
}

export function adminToken(flag: string | undefined, file?: string): { token: string; generated: boolean } {
  if (flag !== undefined && file !== undefined) {
    throw new UsageError("give one of --admin-token and --admin-token-file");
  }
  const token =
    flag ??
    (file === undefined ? undefined : secret("admin-token-file", file)) ??
    process.env.RUSHHOUR_ADMIN_TOKEN;
  if (token !== undefined) {
    if (!/^[\x21-\x7e]{8,256}$/.test(token)) {
      throw new UsageError("--admin-token must be 8-256 printable characters without spaces");
    }
    return { token, generated: false };
  }
  return { token: randomBytes(18).toString("base64url"), generated: true };
}

/** A JSON array of per-minute order counts, oldest first, for the prewarm forecaster. */
export function readDemandHistory(path: string | undefined): number[] | undefined {
  if (path === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--demand-history ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(json) || json.some((x) => typeof x !== "number" || !Number.isFinite(x) || x < 0)) {
    throw new UsageError(
      `--demand-history ${path} must hold a JSON array of per-minute order counts (numbers >= 0)`,
    );
  }
  return json as number[];
}

/** --notify (repeatable, or comma-separated) and --notify-format as ServeOptions["notify"]. */
export function notifyOptions(
  urls: string[] | undefined,
  format: string | undefined,
): ServeOptions["notify"] {
  if (format !== undefined && !(NOTIFY_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--notify-format must be one of ${NOTIFY_FORMATS.join(", ")}, got "${format}"`);
  }
  if (urls === undefined || urls.length === 0) {
    if (format !== undefined) throw new UsageError("--notify-format needs --notify URL");
    return undefined;
  }
  const parsed = urls
    .flatMap((u) => u.split(","))
    .map((u) => {
      try {
        return parseNotifyUrl(u.trim());
      } catch (err) {
        if (err instanceof NotifyUrlError) throw new UsageError(`--notify: ${err.message}`);
        throw err;
      }
    });
  return { urls: parsed, format: (format ?? "json") as NotifyFormat };
}

/** serve --otlp, --trace-ratio, --trace-slow-ms (and OpenTelemetry's endpoint variables); {} when off. */
export function tracingOptions(
  otlp: string | undefined,
  ratio: string | undefined,
  slowMs: string | undefined,
): { tracing?: TracingOptions } {
  if (otlp !== undefined && !/^https?:\/\/[^/\s]+/.test(otlp))
    throw new UsageError(
      `--otlp must be an http(s) URL of an OTLP/gRPC receiver like http://127.0.0.1:4317, got "${otlp}"`,
    );
  let share: number | undefined;
  if (ratio !== undefined) {
    share = Number(ratio);
    if (ratio.trim() === "" || !Number.isFinite(share) || share < 0 || share > 1)
      throw new UsageError(`--trace-ratio must be a number in [0, 1], got "${ratio}"`);
  }
  const slow = slowMs === undefined ? undefined : intFlag("trace-slow-ms", slowMs, 1000, 0, 3_600_000);
  const tracing = tracingFromEnv(
    {
      ...(otlp ? { otlp } : {}),
      ...(share !== undefined ? { ratio: share } : {}),
      ...(slow !== undefined ? { slowMs: slow } : {}),
    },
    process.env,
  );
  if (tracing === null && (ratio !== undefined || slowMs !== undefined))
    throw new UsageError(
      "--trace-ratio and --trace-slow-ms need --otlp URL (or $OTEL_EXPORTER_OTLP_ENDPOINT)",
    );
  return tracing === null ? {} : { tracing };
}
