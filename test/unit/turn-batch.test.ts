import { TURN_BATCH_KEYS, TurnBatch, TurnBatcher } from '../../src/db/turn-batch';

const turn = () => new Promise((r) => setImmediate(r));

describe('TurnBatch', () => {
  it('runs the keys of every caller of one turn once, in order, and gives each caller its own values', async () => {
    const runs: number[][] = [];
    const batch = new TurnBatch<number, string>(async (keys) => {
      runs.push([...keys]);
      return keys.map((k) => `v${k}`);
    });
    const [a, b, c] = await Promise.all([batch.load([1, 2]), batch.load([2, 3, 4]), batch.load([])]);
    expect(runs).toEqual([[1, 2, 2, 3, 4]]);
    expect([a, b, c]).toEqual([['v1', 'v2'], ['v2', 'v3', 'v4'], []]);
    // the next turn is a batch of its own
    expect(await batch.load([5])).toEqual(['v5']);
    expect(runs).toHaveLength(2);
  });

  it(`sends at most ${TURN_BATCH_KEYS} keys a statement, without splitting a caller's keys`, async () => {
    const runs: number[] = [];
    const batch = new TurnBatch<number, number>(async (keys) => {
      runs.push(keys.length);
      return keys.map((k) => k * 2);
    });
    const sizes = [600, 300, 200, 1500, 1];
    const callers = sizes.map((n, i) => Array.from({ length: n }, (_, j) => i * 10_000 + j));
    const results = await Promise.all(callers.map((keys) => batch.load(keys)));
    expect(runs).toEqual([900, 200, 1500, 1]);
    results.forEach((values, i) => expect(values).toEqual(callers[i].map((k) => k * 2)));
  });

  it('fails every caller of a failed statement; the next turn runs again', async () => {
    const batch = new TurnBatch<number, number>(async (keys) => {
      if (keys.includes(13)) throw new Error('no database');
      return [...keys];
    });
    const together = await Promise.allSettled([batch.load([1]), batch.load([13])]);
    expect(together.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((together[0] as PromiseRejectedResult).reason.message).toBe('no database');
    await turn();
    expect(await batch.load([2])).toEqual([2]);
    const thrown = new TurnBatch<number, number>(() => {
      throw new Error('synchronous');
    });
    await expect(thrown.load([1])).rejects.toThrow('synchronous');
  });

  it('passes a per-key Error through as that key’s value', async () => {
    const err = new Error('malformed');
    const batch = new TurnBatch<number, number | Error>(async (keys) => keys.map((k) => (k < 0 ? err : k)));
    expect(await batch.load([1, -1, 2])).toEqual([1, err, 2]);
  });
});

describe('TurnBatcher', () => {
  it('batches the calls of one turn by group, and forgets a group once it is sent', async () => {
    const runs: string[] = [];
    const batcher = new TurnBatcher<string, string>();
    const call = (group: string, key: string) => batcher.load(group, key, async (keys) => {
      runs.push(`${group}:${keys.join(',')}`);
      return keys.map((k) => `${group}/${k}`);
    });
    expect(await Promise.all([call('a', 'x'), call('b', 'x'), call('a', 'y')])).toEqual(['a/x', 'b/x', 'a/y']);
    expect(runs.sort()).toEqual(['a:x,y', 'b:x']);
    expect((batcher as unknown as { pending: Map<string, unknown> }).pending.size).toBe(0);
    expect(await call('a', 'z')).toBe('a/z');
    expect(runs).toContain('a:z');
  });
});
