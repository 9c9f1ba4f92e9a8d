/** The computations following a caller's signal, and the one listener on it that stops them. */
interface SignalFollowers {
  controllers: Set<AbortController>;
  onAbort: () => void;
}

const followers = new WeakMap<AbortSignal, SignalFollowers>();

/**
 * Aborts `stop` once the caller's `signal` aborts (at once if it has), until the returned function
 * is called. The computations and requests following one signal share one listener on it: a
 * listener each would have a process that runs more than 10 at once under one signal (a server's
 * shutdown signal) warn of a listener leak (MaxListenersExceededWarning). `AbortSignal.any` adds
 * no listener, but on Node 20 a long-lived signal keeps every signal made from it (0.2–2 KB a call).
 *
 * @example
 * const stop = new AbortController();
 * const unfollow = followSignal(stop, options.signal);
 * try { ... stop.signal ... } finally { unfollow(); }
 */
export function followSignal(stop: AbortController, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    stop.abort();
    return () => {};
  }
  let group = followers.get(signal);
  if (group === undefined) {
    const controllers = new Set<AbortController>();
    const onAbort = (): void => {
      followers.delete(signal);
      for (const controller of controllers) controller.abort();
    };
    group = { controllers, onAbort };
    followers.set(signal, group);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  const joined = group;
  joined.controllers.add(stop);
  return () => {
    joined.controllers.delete(stop);
    if (joined.controllers.size === 0 && followers.get(signal) === joined) {
      followers.delete(signal);
      signal.removeEventListener('abort', joined.onAbort);
    }
  };
}

/**
 * Resolves after `ms` milliseconds, or rejects with `cancelled()` once `signal` aborts (at once if
 * it has): a backoff between retries must not outlast the caller's Ctrl-C.
 *
 * @example
 * await abortableDelay(1000, options.signal, () => new CancelledError('scoring was cancelled'));
 */
export function abortableDelay(ms: number, signal: AbortSignal | undefined, cancelled: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const stop = new AbortController();
    const unfollow = followSignal(stop, signal);
    const timer = setTimeout(() => {
      unfollow();
      resolve();
    }, ms);
    stop.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(cancelled());
      },
      { once: true },
    );
  });
}
