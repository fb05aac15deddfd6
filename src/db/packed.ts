/**
 * Rows that pack a list of integer tuples into one text column, as statements build it with
 * `string_agg(a || ':' || b || ..., ',')` (the sourcing candidates' stock, availability's):
 * far fewer values for the pg driver to decode than a row per tuple.
 */

/** The length of a uuid as PostgreSQL writes it (8-4-4-4-12 hexadecimal digits). */
export const UUID_LENGTH = 36;

/** Reads `width` integers (possibly negative) from `at`, each ended by one separator; returns where it stopped. */
function readFields(s: string, at: number, fields: number[], width: number): number {
  for (let f = 0; f < width; f++) {
    const neg = s.charCodeAt(at) === 45; // '-'
    if (neg) at++;
    let n = 0;
    for (let c = s.charCodeAt(at); c >= 48 && c <= 57; c = s.charCodeAt(++at)) n = n * 10 + (c - 48);
    fields[f] = neg ? -n : n;
    at++; // past ':' or ','
  }
  return at;
}

/**
 * Calls `each` for every entry of `s`, "n:n:...:n" entries of `width` integers (possibly
 * negative) joined by commas, read in place: without the arrays and strings split() makes.
 * `each` gets one array, filled again for every entry: read it, do not keep it.
 */
export function eachPacked(s: string, width: number, each: (fields: readonly number[]) => void): void {
  const fields = new Array<number>(width).fill(0);
  for (let at = 0; at < s.length; ) {
    at = readFields(s, at, fields, width);
    each(fields);
  }
}

/**
 * As eachPacked, for entries that begin with a key of fixed length (a uuid: UUID_LENGTH):
 * "key:n:...:n" joined by commas. `each` gets the key and the entry's integers.
 */
export function eachKeyedPacked(s: string, keyLength: number, width: number, each: (key: string, fields: readonly number[]) => void): void {
  const fields = new Array<number>(width).fill(0);
  for (let at = 0; at < s.length; ) {
    if (s.charCodeAt(at + keyLength) !== 58) throw new Error(`packed entry at ${at}: its key is not ${keyLength} characters long`); // ':'
    const key = s.slice(at, at + keyLength);
    at = readFields(s, at + keyLength + 1, fields, width);
    each(key, fields);
  }
}
