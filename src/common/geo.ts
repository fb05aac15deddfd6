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

export function validGeo(p: GeoPoint): boolean {
  return Number.isFinite(p.lat) && Number.isFinite(p.lng) && p.lat >= -90 && p.lat <= 90 && p.lng >= -180 && p.lng <= 180;
}
