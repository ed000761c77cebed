// A throwaway PostgreSQL cluster for a test file, with a fresh, empty namespace per store under test.
import pg from "pg";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../server/store/pg-cluster.ts";

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
    async freshStoreUrl() {
      const schema = `t${process.pid}_${n++}`;
      const admin = new pg.Client(cluster.url);
      await admin.connect();
      try {
        await admin.query(`CREATE SCHEMA ${schema}`);
      } finally {
        await admin.end();
      }
      return `${cluster.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    },
    stop: () => cluster.stop(),
  };
}
