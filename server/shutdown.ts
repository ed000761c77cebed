// SIGTERM/SIGINT: close the server gracefully once; a second signal exits at once.
export function closeOnSignals(
  close: () => Promise<unknown>,
  log: (line: string) => void,
  signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"],
): () => void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    closing = true;
    log(`${signal}: draining and shutting down`);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
