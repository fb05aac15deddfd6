/** Great-circle distance on the mean Earth radius, as the design fixes it. */
export const EARTH_RADIUS_KM = 6371.0088;

export interface GeoPoint {
  lat: number;
  lng: number;
}

export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** haversineKm from a fixed point, with its terms computed once: for measuring many points against one. */
export function haversineFrom(b: GeoPoint): (a: GeoPoint) => number {
  const rad = Math.PI / 180;
  const latB = b.lat * rad;
  const lngB = b.lng * rad;
  const cosB = Math.cos(latB);
  return (a: GeoPoint): number => {
    const latA = a.lat * rad;
    const sLat = Math.sin((latB - latA) / 2);
    const sLng = Math.sin((lngB - a.lng * rad) / 2);
    const h = sLat * sLat + Math.cos(latA) * cosB * sLng * sLng;
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
  };
}

/** The point as a unit vector (x, y, z) on the sphere; locations store theirs (migration LocationUnitVectors). */
export function unitVector(lat: number, lng: number): [number, number, number] {
  const rad = Math.PI / 180;
  const cosLat = Math.cos(lat * rad);
  return [cosLat * Math.cos(lng * rad), cosLat * Math.sin(lng * rad), Math.sin(lat * rad)];
}

/**
 * asin(x) for 0 <= x < 0.2 (central angles up to 23 degrees, 2,550 km) by its Taylor series
 * to x^15: the first term left out is below 2e-14 of x there (0.2 nm on the ground), and it
 * costs a few multiplications where Math.asin costs tens of nanoseconds.
 */
function asinSmall(x: number): number {
  const x2 = x * x;
  return x * (1 + x2 * (1 / 6 + x2 * (3 / 40 + x2 * (5 / 112 + x2 * (35 / 1152 + x2 * (63 / 2816 + x2 * (231 / 13312 + x2 * (143 / 10240))))))));
}

/**
 * Great-circle km between two unit vectors: the chord between them gives the central angle
 * (2 asin(chord / 2)). The same distance as haversineKm (the haversine is (chord / 2)^2),
 * without trigonometry per point when the vectors are stored.
 */
export function chordKm(ax: number, ay: number, az: number, bx: number, by: number, bz: number): number {
  const dx = ax - bx;
  const dy = ay - by;
  const dz = az - bz;
  const half = Math.sqrt(dx * dx + dy * dy + dz * dz) / 2;
  if (half < 0.2) return 2 * EARTH_RADIUS_KM * asinSmall(half);
  if (half < 0.7) return 2 * EARTH_RADIUS_KM * Math.asin(half);
  // beyond about 10,000 km asin near 1 loses precision: measure from the antipode instead
  const sx = ax + bx;
  const sy = ay + by;
  const sz = az + bz;
  const halfSum = Math.sqrt(sx * sx + sy * sy + sz * sz) / 2;
  return EARTH_RADIUS_KM * (Math.PI - 2 * Math.asin(halfSum < 1 ? halfSum : 1));
}

export function validGeo(p: GeoPoint): boolean {
  return Number.isFinite(p.lat) && Number.isFinite(p.lng) && p.lat >= -90 && p.lat <= 90 && p.lng >= -180 && p.lng <= 180;
}
