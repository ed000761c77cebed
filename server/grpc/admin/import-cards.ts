import type { ImportCardsRequest, ImportCardsResponse } from "../../../proto/gen/rushhour/v1/admin.ts";
import type { ServerContext } from "../../context.ts";
import { invalidArgument } from "../status.ts";
import { checkSku } from "../validate.ts";

const CODE = /^[\x21-\x7e]{1,256}$/;

export function importCards(ctx: ServerContext) {
  return async (request: ImportCardsRequest): Promise<ImportCardsResponse> => {
    checkSku("sku", request.sku);
    if (request.codes.length === 0) throw invalidArgument("codes", "at least one code is required");
    request.codes.forEach((code, i) => {
      if (!CODE.test(code))
        throw invalidArgument(`codes[${i}]`, "must be 1-256 printable characters without spaces");
    });
    const result = await ctx.store.importCards(request.sku, request.codes);
    ctx.skus.add(request.sku);
    return result;
  };
}
