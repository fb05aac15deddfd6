import { GenerationCache } from '../../src/db/generation-cache';

const reader = (value: string, reads: string[][]) => async (ids: string[]) => {
  reads.push(ids);
  return ids.map((id) => ({ id, value: `${id}@${value}` }));
};

it('reads each missing id once, keeps it for its version, and drops everything when the version moves', async () => {
  const cache = new GenerationCache<string>(100);
  const reads: string[][] = [];
  expect(await cache.of('v1', ['a', 'b', 'a'], reader('1', reads))).toEqual(['a@1', 'b@1', 'a@1']);
  expect(await cache.of('v1', ['b', 'c'], reader('1', reads))).toEqual(['b@1', 'c@1']);
  expect(reads).toEqual([['a', 'b'], ['c']]);
  expect([...cache.kept().keys()].sort()).toEqual(['a', 'b', 'c']);
  expect(await cache.of('v2', ['a'], reader('2', reads))).toEqual(['a@2']);
  expect(reads.at(-1)).toEqual(['a']);
  expect([...cache.kept().keys()]).toEqual(['a']);
});

it('never keeps a value read for one version under another that came meanwhile', async () => {
  const cache = new GenerationCache<string>(100);
  let release!: () => void;
  const slow = cache.of('v1', ['a'], async (ids) => {
    await new Promise<void>((r) => (release = r));
    return ids.map((id) => ({ id, value: 'old' }));
  });
  await Promise.resolve();
  expect(await cache.of('v2', ['a'], async (ids) => ids.map((id) => ({ id, value: 'new' })))).toEqual(['new']);
  release();
  expect(await slow).toEqual(['old']); // the slow call gets what it read
  const reads: string[][] = [];
  expect(await cache.of('v2', ['a'], reader('x', reads))).toEqual(['new']);
  expect(reads).toEqual([]);
});

it('drops everything past its size, and says so when a row is gone', async () => {
  const cache = new GenerationCache<string>(2);
  const reads: string[][] = [];
  await cache.of('v', ['a', 'b'], reader('1', reads));
  await cache.of('v', ['c'], reader('1', reads));
  expect([...cache.kept().keys()]).toEqual(['c']);
  await expect(cache.of('v', ['gone'], async () => [])).rejects.toThrow('row gone is gone');
});
