/**
 * Credit-based flow control, shared by the gRPC server and the in-process transport so both
 * behave the same (the rule is stated in transport.ts).
 *
 *   reader                                   sender (pumpPartition)
 *   open(credits = N) ───────────────────▶   gate = N
 *                                            loop: wait for entry i (or EOS)
 *                                                  gate empty? → "blocked" event, wait
 *                                                  take 1 credit, send entry i
 *   consumer asks for the next batch ───▶    gate += 1
 *
 * Entries are awaited before credits, so the end of stream is delivered without needing a
 * credit, and "blocked" means exactly "a batch is ready but the reader has no room"; the
 * time spent blocked is the writer's credit wait (reported to the reader at end of stream).
 * Each pump reads through its own PartitionReader (spilled entries come back from disk).
 */
import type { PartitionBuffer } from './exchange_buffer.js';
import { waitForWake, Waiters } from './waiters.js';

export class CreditGate {
  private credits: number;
  private readonly granted = new Waiters();

  constructor(initial: number) {
    this.credits = initial;
  }

  get available(): number { return this.credits; }

  grant(n: number): void {
    this.credits += n;
    this.granted.wakeAll();
  }

  /** Take one credit, waiting (without a deadline: the reader's consumer sets the pace). */
  async take(signal: AbortSignal, what: string): Promise<void> {
    while (this.credits <= 0) await waitForWake(this.granted, signal, what);
    this.credits--;
  }
}

export interface PumpHooks {
  /** Called when entry `index` is ready but no credit is left. */
  onBlocked?(index: number): void;
  /** Called after such a wait with its length (the writer waiting for the reader). */
  onCreditWait?(ms: number): void;
  /** While waiting for the writer: call `beat` every `everyMs` (gRPC heartbeats). */
  heartbeat?: { everyMs: number; beat: () => void };
}

/**
 * Send the entries of `part` from the start, one credit each, until end of stream.
 * Returns the number sent; throws the writer's error or the abort reason.
 */
export async function pumpPartition(
  part: PartitionBuffer,
  gate: CreditGate,
  signal: AbortSignal,
  send: (index: number) => Promise<void> | void,
  hooks: PumpHooks = {},
): Promise<number> {
  const what = 'exchange send';
  // The reader keeps entry i readable through part.readBatch/readEncoded(i) while it is
  // sent, and reads entries the buffer spilled back from disk.
  const reader = part.openReader();
  try {
    for (let i = 0; ; i++) {
      if (!(await reader.waitForEntry(i, signal, hooks.heartbeat))) return i;
      if (gate.available <= 0) {
        hooks.onBlocked?.(i);
        const t0 = performance.now();
        await gate.take(signal, what);
        hooks.onCreditWait?.(performance.now() - t0);
      } else {
        await gate.take(signal, what);
      }
      await send(i);
    }
  } finally {
    await reader.close();
  }
}
