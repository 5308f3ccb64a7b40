/**
 * The old-generation headroom each worker thread's heap starts with (thread_workers.ts):
 * 128 MiB without a memory limit, at most half a thread's share under one, none when the
 * share is too small for it to matter.
 */
import { describe, expect, it } from 'vitest';
import { THREAD_HEAP_HEADROOM_MB, threadHeapHeadroomMb } from '../../src/scheduler/thread_workers.js';

const MiB = 1024 * 1024;

describe('threadHeapHeadroomMb', () => {
  it('gives the full headroom without a memory limit', () => {
    expect(threadHeapHeadroomMb(0)).toBe(THREAD_HEAP_HEADROOM_MB);
  });

  it('is at most half of the thread share under a memory limit', () => {
    expect(threadHeapHeadroomMb(1024 * MiB)).toBe(THREAD_HEAP_HEADROOM_MB);
    expect(threadHeapHeadroomMb(200 * MiB)).toBe(100);
    expect(threadHeapHeadroomMb(128 * MiB)).toBe(64);
  });

  it('leaves V8 its default when the share is small', () => {
    expect(threadHeapHeadroomMb(127 * MiB)).toBe(0);
    expect(threadHeapHeadroomMb(32 * MiB)).toBe(0);
  });
});
