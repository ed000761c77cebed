// Adapts a promise-based Store to the core's callback CardStorePort. A store failure (a rejected
// promise, a thrown error) becomes { kind: "error", message }; it never escapes as an unhandled rejection.
import type { CardStorePort, ClaimResult, StoreResult } from "../core/ports.ts";
import type { Store } from "./types.ts";

export interface CardPortOptions {
  /**
   * Called when a `done` callback itself throws (a bug in the caller, not a store failure). By default
   * the error is rethrown outside the promise chain, so it surfaces as an uncaught exception with its
   * own stack instead of being swallowed or turned into a store error.
   */
  onCallbackError?: (error: unknown) => void;
}

export function toCardStorePort(store: Store, options: CardPortOptions = {}): CardStorePort {
  const onCallbackError =
    options.onCallbackError ??
    ((error: unknown) => {
      queueMicrotask(() => {
        throw error;
      });
    });

  function run<T>(op: () => Promise<T>, onError: (message: string) => T, done: (result: T) => void): void {
    let promise: Promise<T>;
    try {
      promise = op();
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (result) => call(done, result),
      (error: unknown) => call(done, onError(messageOf(error))),
    );
  }

  function call<T>(done: (result: T) => void, result: T): void {
    try {
      done(result);
    } catch (error) {
      onCallbackError(error);
    }
  }

  const claimError = (message: string): ClaimResult => ({ kind: "error", message });
  const opError = (message: string): StoreResult => ({ kind: "error", message });

  return {
    claim: (ownerId, sku, done) => run(() => store.claim(ownerId, sku), claimError, done),
    transfer: (cardId, fromOwner, toOwner, done) =>
      run(() => store.transfer(cardId, fromOwner, toOwner), opError, done),
    release: (ownerId, cardId, done) => run(() => store.release(ownerId, cardId), opError, done),
    deliver: (ownerId, cardId, done) => run(() => store.deliver(ownerId, cardId), opError, done),
    stock: (sku, done) =>
      run(
        async () => ({ kind: "ok" as const, free: await store.stock(sku) }),
        (message) => ({ kind: "error" as const, message }),
        done,
      ),
  };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
