/**
 * The endpoint gate: pure unit tests, then the gate inside `generate` against the fake OpenAI
 * server (a test double) over real HTTP.
 */
import { Gate } from '../../src/activities/gate';
import { generateWith } from '../support/activities';
import { openStore } from '../../src/store';
import { fakeAgent } from '../support/agents';
import { startFakeOpenAI } from '../support/fakeOpenAI';
import { tmpDir, tmpStoreSpec } from '../support/tmp';

const tick = () => new Promise((r) => setImmediate(r));

describe('Gate', () => {
  test('admits `size` holders, queues the rest in FIFO order, hands a freed place to the next waiter', async () => {
    const gate = new Gate(2);
    const order: number[] = [];
    const r1 = await gate.acquire();
    const r2 = await gate.acquire();
    const waiting = [3, 4, 5].map((n) => gate.acquire().then((release) => (order.push(n), release)));
    await tick();
    expect(order).toEqual([]);
    expect(gate.busy).toBe(2);
    r1();
    r1(); // releasing twice frees one place, not two
    await tick();
    expect(order).toEqual([3]);
    r2();
    await tick();
    expect(order).toEqual([3, 4]);
    for (const r of await Promise.all(waiting.slice(0, 2))) r();
    await tick();
    expect(order).toEqual([3, 4, 5]);
    (await waiting[2]!)();
    expect(gate.busy).toBe(0);
  });

  test('an aborted waiter leaves the queue with the abort reason and takes no place', async () => {
    const gate = new Gate(1);
    const r1 = await gate.acquire();
    const ac = new AbortController();
    const aborted = gate.acquire(ac.signal);
    const next = gate.acquire();
    ac.abort(new Error('cancelled'));
    await expect(aborted).rejects.toThrow('cancelled');
    r1();
    const r3 = await next;
    expect(gate.busy).toBe(1);
    r3();
    await expect(gate.acquire(ac.signal)).rejects.toThrow('cancelled');
    expect(gate.busy).toBe(0);
  });

  test('size must be a positive integer', () => {
    expect(() => new Gate(0)).toThrow(/positive integer/);
  });
});

test('generate lets at most maxConcurrency requests reach one endpoint from this process', async () => {
  const fake = await startFakeOpenAI({ models: { 'fake-a': { latencyMs: 80 } } });
  const tmp = tmpDir();
  try {
    const store = tmpStoreSpec(tmp.dir);
    const generate = generateWith({});
    const agent = fakeAgent(fake.url, { maxConcurrency: 2 });
    const promptRef = await openStore(store).put('q?');
    const calls = Array.from({ length: 7 }, (_, i) =>
      generate({ agent, store, promptRef, action: { id: `r${i}`, agent: 'a1', kind: 'fresh', inputs: [] }, inputRefs: [], templates: {}, seed: i }),
    );
    const out = await Promise.all(calls);
    expect(out).toHaveLength(7);
    expect(fake.stats.requests).toBe(7);
    expect(fake.stats.maxInFlight).toBe(2);
  } finally {
    await fake.close();
    tmp.cleanup();
  }
});

test('Gate.run holds a place for the call and frees it even when the call throws', async () => {
  const gate = new Gate(1);
  await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  expect(gate.busy).toBe(0);
  await expect(gate.run(async () => gate.busy)).resolves.toBe(1);
});
