import { eachPacked } from '../../src/db/packed';

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
