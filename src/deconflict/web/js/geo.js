// Small geometry for drawing: dead reckoning on the sphere, circles as polygons, and
// the formats of times and distances. (The line's own geometry is on the ellipsoid; a
// sphere is ample for what the map draws.)

const R_M = 6371008.8;
const KT_MS = 1852 / 3600;
const RAD = Math.PI / 180;

// [lon, lat] reached from (lon, lat) along the initial bearing `deg` after `m` metres
export function destination(lon, lat, deg, m) {
  const d = m / R_M;
  const b = deg * RAD;
  const p1 = lat * RAD;
  const l1 = lon * RAD;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1),
    Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [((l2 / RAD + 540) % 360) - 180, p2 / RAD];
}

// where a track of the API (latitude_deg, longitude_deg, groundspeed_kt, track_deg) is
// `s` seconds after its own time
export function ahead(track, s) {
  return destination(track.longitude_deg, track.latitude_deg, track.track_deg,
    track.groundspeed_kt * KT_MS * s);
}

// the track moved to time `t_s` along its velocity (altitude too)
export function at(track, t_s) {
  const s = t_s - track.time_s;
  const [lon, lat] = ahead(track, s);
  return { ...track, longitude_deg: lon, latitude_deg: lat, time_s: t_s,
    altitude_ft: track.altitude_ft + (track.vertical_rate_fpm || 0) * s / 60 };
}

// a circle of `radius_m` about [lon, lat] as a GeoJSON ring
export function circleRing(lon, lat, radiusM, n = 72) {
  const ring = [];
  for (let i = 0; i <= n; i += 1) ring.push(destination(lon, lat, (360 * i) / n, radiusM));
  return ring;
}

export function distanceM([lon1, lat1], [lon2, lat2]) {
  const a = Math.sin(((lat2 - lat1) * RAD) / 2) ** 2
    + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(((lon2 - lon1) * RAD) / 2) ** 2;
  return 2 * R_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

// a plan's volume feature as a drawable polygon (a Point with radius_m is a circle)
export function volumePolygon(feature) {
  const g = feature.geometry;
  if (g.type === 'Point') {
    const [lon, lat] = g.coordinates;
    return { type: 'Feature', properties: feature.properties || {},
      geometry: { type: 'Polygon', coordinates: [circleRing(lon, lat, feature.properties.radius_m)] } };
  }
  return feature;
}

export function clockOf(s) {
  return new Date(s * 1000).toISOString().slice(11, 19) + 'Z';
}

// "1:05", "-0:12" (overdue)
export function countdown(s) {
  const sign = s < 0 ? '-' : '';
  const a = Math.abs(Math.round(s));
  return `${sign}${Math.floor(a / 60)}:${String(a % 60).padStart(2, '0')}`;
}

export function flightLevel(ft) {
  return `FL${String(Math.round(ft / 100)).padStart(3, '0')}`;
}
