// A throwaway PostgreSQL cluster for a test file, with a fresh, empty namespace per store under test.
import {
  freshSchemaUrl,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from "../../server/store/pg-cluster.ts";

export interface TestPostgres {
  cluster: ThrowawayPostgres;
  /**
   * The URL of an empty schema of its own (search_path set through the URL's `options`), so each test
   * starts clean. A schema, not a database: CREATE DATABASE copies a template and takes about a second
   * on a busy machine, CREATE SCHEMA a few milliseconds.
   */
  freshStoreUrl(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const cluster = await startThrowawayPostgres();
  let n = 0;
  return {
    cluster,
    freshStoreUrl: () => freshSchemaUrl(cluster.url, `t${process.pid}_${n++}`),
    stop: () => cluster.stop(),
  };
}
