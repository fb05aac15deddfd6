/**
 * Rows that pack a list of integer tuples into one text column, as statements build it with
 * `string_agg(a || ':' || b || ..., ',')` (the sourcing candidates' stock, availability's):
 * far fewer values for the pg driver to decode than a row per tuple.
 */

/**
 * Calls `each` for every entry of `s`, "n:n:...:n" entries of `width` integers (possibly
 * negative) joined by commas, read in place: without the arrays and strings split() makes.
 * `each` gets one array, filled again for every entry: read it, do not keep it.
 */
export function eachPacked(s: string, width: number, each: (fields: readonly number[]) => void): void {
  const fields = new Array<number>(width).fill(0);
  let at = 0;
  while (at < s.length) {
    for (let f = 0; f < width; f++) {
      const neg = s.charCodeAt(at) === 45; // '-'
      if (neg) at++;
      let n = 0;
      for (let c = s.charCodeAt(at); c >= 48 && c <= 57; c = s.charCodeAt(++at)) n = n * 10 + (c - 48);
      fields[f] = neg ? -n : n;
      at++; // past ':' or ','
    }
    each(fields);
  }
}
