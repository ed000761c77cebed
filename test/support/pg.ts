// A throwaway PostgreSQL cluster for a test file, with a fresh database per store under test.
import pg from "pg";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../../server/store/pg-cluster.ts";

export interface TestPostgres {
  cluster: ThrowawayPostgres;
  /** Creates an empty database and returns its URL. */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const cluster = await startThrowawayPostgres();
  let n = 0;
  return {
    cluster,
    async freshDatabase() {
      const name = `t${process.pid}_${n++}`;
      const admin = new pg.Client(cluster.url);
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return cluster.url.replace(/\/postgres$/, `/${name}`);
    },
    stop: () => cluster.stop(),
  };
}
