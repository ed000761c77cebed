// d3-node ships no types; this declares only what reports/charts use.
declare module "d3-node" {
  import type * as d3 from "d3";

  export interface D3NodeOptions {
    selector?: string;
    container?: string;
    styles?: string;
  }

  export class D3Node {
    constructor(options?: D3NodeOptions);
    readonly d3: typeof d3;
    createSVG(
      width?: number,
      height?: number,
      attrs?: Record<string, string | number>,
    ): d3.Selection<SVGSVGElement, unknown, null, undefined>;
    svgString(): string;
    html(): string;
    chartHTML(): string;
  }
}
