/**
 * The old-generation headroom each worker thread's heap starts with (thread_workers.ts):
 * 128 MiB without a memory limit, at most half a thread's share under one, none when the
 * share is too small for it to matter; a heap size the tuned runtime gave its own process
 * is not inherited as if the user had chosen it.
 */
import { describe, expect, it } from 'vitest';
import { heapFlagsIn, THREAD_HEAP_HEADROOM_MB, threadHeapHeadroomMb } from '../../src/scheduler/thread_workers.js';

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

describe('heapFlagsIn', () => {
  it('a heap size the user gave counts; the one the tuned runtime added for its own process does not', () => {
    expect(heapFlagsIn(['--max-semi-space-size=1', '--initial-old-space-size=48'], '--initial-old-space-size=48')).toBe(false);
    expect(heapFlagsIn(['--initial-old-space-size=48', '--initial-old-space-size=200'], '--initial-old-space-size=48')).toBe(true);
    expect(heapFlagsIn(['--initial-heap-size=64'], undefined)).toBe(true);
    expect(heapFlagsIn(['--initial-old-space-size=48'], undefined)).toBe(true);
    expect(heapFlagsIn(['--max-semi-space-size=1', ''], undefined)).toBe(false);
  });
});
