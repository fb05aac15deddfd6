/** Every location (code, name, coordinates), read once per page load: any role may read them. */
import { gql } from './api';

export interface Place {
  id: string;
  code: string;
  name: string;
  type: string;
  geo: { lat: number; lng: number };
}

const LOCATIONS = `query ConsoleLocations { locations { id code name type geo { lat lng } } }`;
let cache: Promise<Map<string, Place>> | null = null;

export function locations(): Promise<Map<string, Place>> {
  cache ??= gql<{ locations: Place[] }>(LOCATIONS).then(
    (d) => new Map(d.locations.map((l) => [l.id, l])),
    (err) => {
      cache = null; // try again next time
      throw err;
    },
  );
  return cache;
}
