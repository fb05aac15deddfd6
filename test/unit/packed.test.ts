import { eachKeyedPacked, eachPacked, UUID_LENGTH } from '../../src/db/packed';

const read = (s: string, width: number) => {
  const out: number[][] = [];
  eachPacked(s, width, (f) => out.push([...f]));
  return out;
};

describe('eachPacked', () => {
  it('reads entries of any width, negative numbers included', () => {
    expect(read('1:5:0:2,3:-4:10:0', 4)).toEqual([[1, 5, 0, 2], [3, -4, 10, 0]]);
    expect(read('2:17,1:0,10:123456', 2)).toEqual([[2, 17], [1, 0], [10, 123456]]);
  });

  it('reads nothing from an empty list', () => {
    expect(read('', 2)).toEqual([]);
  });
});

describe('eachKeyedPacked', () => {
  const a = '0b6a4f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
  const b = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
  const read = (s: string, width: number) => {
    const out: [string, number[]][] = [];
    eachKeyedPacked(s, UUID_LENGTH, width, (key, f) => out.push([key, [...f]]));
    return out;
  };

  it('reads each entry’s key and integers', () => {
    expect(read(`${a}:1:5:0:2,${b}:3:-4:10:0,${a}:2:0:0:7`, 4)).toEqual([[a, [1, 5, 0, 2]], [b, [3, -4, 10, 0]], [a, [2, 0, 0, 7]]]);
    expect(read(`${b}:0`, 1)).toEqual([[b, [0]]]);
    expect(read('', 4)).toEqual([]);
  });

  it('refuses a key of another length instead of misreading the rest', () => {
    expect(() => read(`${a.slice(1)}:1:2:3:4`, 4)).toThrow(/key is not 36 characters long/);
  });
});
