/**
 * Small waiting primitives shared by the exchange: wake-up sets, and a wait that ends on
 * a wake-up, a timeout or an AbortSignal (never hangs past its timeout).
 */
import { SpillwayError } from '../common/errors.js';

export function abortReason(signal: AbortSignal, what: string): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error && !(r.name === 'AbortError')) return r;
  return new SpillwayError('cancelled', `${what} cancelled`);
}

/** A set of wake-up callbacks: waiters register, state changes call them all. */
export class Waiters {
  private readonly set = new Set<() => void>();
  add(fn: () => void): () => void {
    this.set.add(fn);
    return () => this.set.delete(fn);
  }
  wakeAll(): void {
    const fns = [...this.set];
    this.set.clear();
    for (const f of fns) f();
  }
}

/**
 * Wait until a waiter in `waiters` is woken (true), `timeoutMs` passes (false), or the
 * signal aborts (rejects with its reason).
 */
export function waitForWake(waiters: Waiters, signal: AbortSignal, what: string, timeoutMs?: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (signal.aborted) { reject(abortReason(signal, what)); return; }
    let timer: NodeJS.Timeout | undefined;
    const settle = (woken: boolean, err?: Error) => {
      remove();
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      if (err) reject(err); else resolve(woken);
    };
    const onAbort = () => settle(false, abortReason(signal, what));
    const remove = waiters.add(() => settle(true));
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) timer = setTimeout(() => settle(false), Math.max(0, timeoutMs));
  });
}

