import { timelineIntervals, timelineSampler, type TimelinePoint } from '../../../bench/timeline';

describe('scale benchmark timeline', () => {
  const points: TimelinePoint[] = [
    { tS: 0, finished: 0, cpuS: { worker1: 0, worker2: 0, temporalServer: 0 } },
    { tS: 100, finished: 1000, cpuS: { worker1: 20, worker2: 20, temporalServer: 60 } },
    { tS: 200, finished: 1500, cpuS: { worker1: 35, worker2: 35, temporalServer: 120 } },
  ];
  const groups = { workers: ['worker1', 'worker2'], temporalServer: ['temporalServer'] };

  it('turns cumulative samples into per-interval plays/s and CPU ms per play, by group', () => {
    const out = timelineIntervals(points, 4, groups);
    expect(out).toEqual([
      // 1,000 prompts × 4 plays in 100 s; 40 CPU s of workers over 4,000 plays = 10 ms
      { fromS: 0, toS: 100, finishedAtEnd: 1000, playsPerS: 40, cpuMsPerPlay: { workers: 10, temporalServer: 15 } },
      // the per-play cost that grows with the run: 30 s / 2,000 plays = 15 ms, 60 s → 30 ms
      { fromS: 100, toS: 200, finishedAtEnd: 1500, playsPerS: 20, cpuMsPerPlay: { workers: 15, temporalServer: 30 } },
    ]);
  });

  it('skips an interval in which nothing finished instead of dividing by zero', () => {
    const stalled = [...points, { tS: 300, finished: 1500, cpuS: { worker1: 40, worker2: 40, temporalServer: 130 } }];
    expect(timelineIntervals(stalled, 4, groups)).toHaveLength(2);
  });

  it('samples on its interval, survives a failing read, and ends with the final count', async () => {
    let cpu = 0;
    let calls = 0;
    const sampler = timelineSampler(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('query failed (no worker)');
        return calls * 10;
      },
      () => ({ worker1: { cpuS: (cpu += 1) } }),
      20,
    );
    await new Promise((r) => setTimeout(r, 130));
    const got = await sampler.stop(999);
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(got[0]).toMatchObject({ tS: 0, finished: 0 });
    expect(got.at(-1)).toMatchObject({ finished: 999 });
    // the failed read left no point: one start point, one per successful read, one final
    expect(got).toHaveLength(1 + (calls - 1) + 1);
    expect(got.map((p) => p.tS)).toEqual([...got.map((p) => p.tS)].sort((a, b) => a - b));
  });
});
