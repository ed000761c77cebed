// SVG -> PNG with resvg. resvg draws no text at all when it finds no font, so the font is looked up explicitly
// and a missing font is an error, never a silently blank axis.
import { existsSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";

const FONT_CANDIDATES = [
  process.env.RUSHHOUR_FONT,
  "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/dejavu/DejaVuSans.ttf",
  "/usr/share/fonts/TTF/DejaVuSans.ttf",
  "/usr/local/share/fonts/DejaVuSans.ttf",
];

export class FontMissingError extends Error {
  override name = "FontMissingError";
}

/** The DejaVu Sans file the PNGs are drawn with (RUSHHOUR_FONT overrides the search). */
export function findFont(): string {
  for (const candidate of FONT_CANDIDATES) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  throw new FontMissingError(
    `DejaVu Sans not found (looked in ${FONT_CANDIDATES.filter(Boolean).join(", ")}). ` +
      "Install the Debian package fonts-dejavu-core or set RUSHHOUR_FONT to a .ttf file.",
  );
}

export function svgToPng(svg: string, fontFile = findFont()): Buffer {
  const resvg = new Resvg(svg, {
    background: "#ffffff",
    fitTo: { mode: "zoom", value: 2 },
    font: { fontFiles: [fontFile], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
  });
  return resvg.render().asPng();
}
