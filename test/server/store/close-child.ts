// Opens a SQLite store, writes to it, closes it and prints "closed": the close is the process's last work,
// as in a command that imports cards and exits (the store's checkpoint thread must not leave it hanging).
import { openStore } from "../../../server/store/open.ts";

const store = await openStore(`sqlite:${process.argv[2]!}`);
await store.importCards("sku-a", ["A1", "A2"]);
await store.close();
process.stdout.write("closed\n");
