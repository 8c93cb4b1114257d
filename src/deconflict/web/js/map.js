// The map: MapLibre GL with the offline basemap (Natural Earth countries, shipped with
// the package), and one GeoJSON source per layer of the picture, each replaced whole with
// setData. Aircraft are circles and lines drawn by the GPU, never DOM markers; their
// labels are text on one canvas over the map (the style has no glyphs to fetch).

/* global maplibregl */

const EMPTY = { type: 'FeatureCollection', features: [] };
const LEVEL_COLOR = ['match', ['get', 'level'], 1, '#fff176', 2, '#ffa726', 3, '#ef5350', '#90a4ae'];

function graticule(stepDeg = 10) {
  const features = [];
  for (let lon = -180; lon <= 180; lon += stepDeg) {
    const line = [];
    for (let lat = -80; lat <= 80; lat += 5) line.push([lon, lat]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: line } });
  }
  for (let lat = -80; lat <= 80; lat += stepDeg) {
    const line = [];
    for (let lon = -180; lon <= 180; lon += 5) line.push([lon, lat]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: line } });
  }
  return { type: 'FeatureCollection', features };
}

function style() {
  const basemap = new URL('basemap/countries-50m.geojson', document.baseURI).href;
  return {
    version: 8,
    sources: {
      countries: { type: 'geojson', data: basemap, tolerance: 0.6 },
      graticule: { type: 'geojson', data: graticule() },
    },
    layers: [
      { id: 'sea', type: 'background', paint: { 'background-color': '#0b1822' } },
      { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#16293a', 'line-width': 0.6 } },
      { id: 'land', type: 'fill', source: 'countries', paint: { 'fill-color': '#1b252e' } },
      { id: 'borders', type: 'line', source: 'countries', paint: { 'line-color': '#3d4c59', 'line-width': 0.8 } },
    ],
  };
}

// With no GPU, WebGL is painted by the CPU (Chromium's SwiftShader, Mesa's llvmpipe) and
// a frame costs its pixels and vertices: there, while the map moves, it is drawn at
// MOVING_PIXEL_RATIO of its resolution and without the MOVING_HIDDEN layers (the leader
// lines, the graticule, the borders), and whole and sharp again once it has rested
// REST_MS. A GPU draws every frame whole, at full resolution.
const MOVING_PIXEL_RATIO = 0.5;
const MOVING_HIDDEN = ['leaders', 'graticule', 'borders'];
const REST_MS = 250;

function paintsOnTheCpu(canvas) {
  // the map's own context (asking again for its kind answers the same one)
  const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
  if (!gl) return false;
  const soft = (name) => /swiftshader|llvmpipe|softpipe|software/i.test(String(name));
  if (soft(gl.getParameter(gl.RENDERER))) return true; // Firefox names it here
  // Chromium says "WebKit WebGL" there, and names it in this extension
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return !!info && soft(gl.getParameter(info.UNMASKED_RENDERER_WEBGL));
}

const SOURCES = ['plans', 'notices', 'draft', 'leaders', 'aircraft', 'alert-lines', 'alert-points'];

function addLayers(map) {
  for (const id of SOURCES) map.addSource(id, { type: 'geojson', data: EMPTY, buffer: 32, tolerance: 0.5 });
  const add = (layer) => map.addLayer(layer);
  add({ id: 'plans-fill', type: 'fill', source: 'plans', paint: { 'fill-color': '#4fc3f7', 'fill-opacity': 0.12 } });
  add({ id: 'plans-line', type: 'line', source: 'plans', paint: { 'line-color': '#4fc3f7', 'line-width': 1.5 } });
  add({ id: 'notices-fill', type: 'fill', source: 'notices', paint: { 'fill-color': '#ff7043', 'fill-opacity': 0.18 } });
  add({ id: 'notices-line', type: 'line', source: 'notices', paint: { 'line-color': '#ff7043', 'line-width': 1, 'line-dasharray': [2, 2] } });
  add({ id: 'draft-fill', type: 'fill', source: 'draft', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.1 } });
  add({ id: 'draft-line', type: 'line', source: 'draft', paint: { 'line-color': '#ffffff', 'line-width': 1.5, 'line-dasharray': [3, 2] } });
  add({ id: 'draft-points', type: 'circle', source: 'draft', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 3, 'circle-color': '#ffffff' } });
  add({ id: 'leaders', type: 'line', source: 'leaders', paint: {
    'line-color': ['case', ['get', 'own'], '#4fc3f7', '#ffb74d'], 'line-width': 1, 'line-opacity': 0.8 } });
  add({ id: 'aircraft', type: 'circle', source: 'aircraft', paint: {
    'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 2, 8, 4.5],
    'circle-color': ['case', ['get', 'own'], '#4fc3f7', '#ffb74d'],
    'circle-stroke-color': '#0b1822', 'circle-stroke-width': 0.5 } });
  add({ id: 'alert-lines', type: 'line', source: 'alert-lines', paint: {
    'line-color': LEVEL_COLOR, 'line-width': ['case', ['get', 'cpa'], 1, 2],
    'line-dasharray': [2, 1.5] } });
  add({ id: 'alert-points', type: 'circle', source: 'alert-points', paint: {
    'circle-radius': ['case', ['==', ['get', 'kind'], 'cpa'], 5, 7],
    'circle-color': ['case', ['==', ['get', 'kind'], 'other'], '#ffb74d',
      ['==', ['get', 'kind'], 'own'], '#4fc3f7', 'rgba(0,0,0,0)'],
    'circle-stroke-color': LEVEL_COLOR, 'circle-stroke-width': 2.5 } });
}

export class TrafficMap {
  constructor(container, labelCanvas) {
    this.map = new maplibregl.Map({
      container, style: style(), center: [33.5, 34.0], zoom: 5, attributionControl: false,
      fadeDuration: 0, renderWorldCopies: false, maxPitch: 0, dragRotate: false,
    });
    this.map.addControl(new maplibregl.AttributionControl({
      compact: true, customAttribution: 'Basemap: Natural Earth' }));
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'nautical' }));
    this.canvas = labelCanvas;
    this.labels = [];
    this.showLabels = true;
    this.painted = false;
    this.ready = new Promise((resolve) => this.map.on('load', () => {
      addLayers(this.map);
      resolve();
    }));
    this.map.on('render', () => this.drawLabels());
    this.map.on('resize', () => this.fitCanvas());
    this.fitCanvas();
    this.software = paintsOnTheCpu(this.map.getCanvas());
    this.movingPixelRatio = MOVING_PIXEL_RATIO;
    this.coarse = false; // drawn at movingPixelRatio now
    this.resting = null;
    this.resizing = false;
    this.map.on('movestart', () => this.moving(true));
    this.map.on('moveend', () => this.moving(false));
  }

  // the map starts or stops moving (a drag, a zoom, an easing, or a jumpTo, which is
  // both at once): coarse at once, sharp again after REST_MS without moving
  moving(started) {
    if (this.resizing) return; // setPixelRatio's own movestart and moveend
    clearTimeout(this.resting);
    if (started && this.software) this.setCoarse(true);
    else this.resting = setTimeout(() => this.setCoarse(false), REST_MS);
  }

  setCoarse(coarse) {
    if (coarse === this.coarse) return;
    this.coarse = coarse;
    for (const id of MOVING_HIDDEN) {
      if (this.map.getLayer(id)) this.map.setLayoutProperty(id, 'visibility', coarse ? 'none' : 'visible');
    }
    this.resizing = true;
    try {
      // null: the device's pixel ratio again
      this.map.setPixelRatio(coarse ? this.movingPixelRatio * (window.devicePixelRatio || 1) : null);
    } finally {
      this.resizing = false;
    }
  }

  set(source, fc) {
    const s = this.map.getSource(source);
    if (s) s.setData(fc);
  }

  // the labels to draw: [{lon, lat, text, color}]
  setLabels(labels) {
    this.labels = labels;
    this.map.triggerRepaint();
  }

  fitCanvas() {
    const r = this.map.getContainer().getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const [w, h] = [Math.round(r.width * dpr), Math.round(r.height * dpr)];
    if (this.canvas.width === w && this.canvas.height === h) return; // e.g. setPixelRatio's
    this.canvas.width = w;
    this.canvas.height = h;
    this.canvas.style.width = `${r.width}px`;
    this.canvas.style.height = `${r.height}px`;
    this.painted = true; // cleared by the resize: drawn again, or hidden, at the next frame
  }

  drawLabels() {
    const ctx = this.canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    const b = this.map.getBounds();
    let inView = this.showLabels ? this.labels.filter((l) => b.contains([l.lon, l.lat])) : [];
    if (inView.length > 400) inView = []; // too dense to read: zoom in
    // an empty canvas left as it is costs nothing: the compositor has it already
    if (!inView.length && !this.painted) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = inView.length > 0;
    if (!this.painted) return;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    const taken = []; // the boxes drawn: a label that would overlap one is left out
    for (const l of inView) {
      const p = this.map.project([l.lon, l.lat]);
      const lines = l.text.split('\n');
      const w = Math.max(...lines.map((t) => ctx.measureText(t).width));
      const box = [p.x + 6, p.y + 4, w + 4, 13 * lines.length + 2];
      if (taken.some((o) => box[0] < o[0] + o[2] && o[0] < box[0] + box[2]
        && box[1] < o[1] + o[3] && o[1] < box[1] + box[3])) continue;
      taken.push(box);
      ctx.fillStyle = 'rgba(11,24,34,0.75)';
      ctx.fillRect(...box);
      ctx.fillStyle = l.color;
      lines.forEach((t, i) => ctx.fillText(t, p.x + 8, p.y + 5 + 13 * i));
    }
  }

  flyTo(lon, lat, zoom) {
    this.map.easeTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), zoom || 7) });
  }
}

// Drawing a plan's outline: a polygon (a click per vertex, a double-click to close) or a
// circle (a click at its centre, another at its edge). onChange(shape) with
// {type: 'polygon', ring} or {type: 'circle', center, radius_m}, or null.
export class Draw {
  constructor(tmap, ring, distanceM, onChange) {
    this.tmap = tmap;
    this.circleRing = ring;
    this.distanceM = distanceM;
    this.onChange = onChange;
    this.mode = null;
    this.points = [];
    this.shape = null;
    const map = tmap.map;
    map.on('click', (e) => this.click([e.lngLat.lng, e.lngLat.lat]));
    map.on('dblclick', (e) => { if (this.mode === 'polygon') { e.preventDefault(); this.finish(); } });
    map.on('mousemove', (e) => this.move([e.lngLat.lng, e.lngLat.lat]));
  }

  start(mode) {
    this.mode = mode;
    this.points = [];
    this.shape = null;
    this.tmap.map.doubleClickZoom.disable();
    this.tmap.map.getCanvas().style.cursor = 'crosshair';
    this.render(null);
    this.onChange(null);
  }

  clear() {
    this.stop();
    this.shape = null;
    this.points = [];
    this.render(null);
    this.onChange(null);
  }

  stop() {
    this.mode = null;
    this.tmap.map.getCanvas().style.cursor = '';
    setTimeout(() => this.tmap.map.doubleClickZoom.enable(), 0);
  }

  click(p) {
    if (this.mode === 'polygon') {
      const last = this.points[this.points.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) this.points.push(p);
      this.render(null);
    } else if (this.mode === 'circle') {
      if (!this.points.length) this.points = [p];
      else {
        this.shape = { type: 'circle', center: this.points[0],
          radius_m: Math.max(100, Math.round(this.distanceM(this.points[0], p))) };
        this.stop();
        this.render(null);
        this.onChange(this.shape);
      }
    }
  }

  move(p) {
    if (this.mode && this.points.length) this.render(p);
  }

  finish() {
    if (this.points.length >= 3) {
      this.shape = { type: 'polygon', ring: [...this.points, this.points[0]] };
      this.stop();
      this.render(null);
      this.onChange(this.shape);
    }
  }

  render(cursor) {
    const f = [];
    const s = this.shape;
    if (s && s.type === 'polygon') {
      f.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [s.ring] } });
    } else if (s && s.type === 'circle') {
      f.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon',
        coordinates: [this.circleRing(s.center[0], s.center[1], s.radius_m)] } });
    } else if (this.mode === 'circle' && this.points.length && cursor) {
      const c = this.points[0];
      f.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon',
        coordinates: [this.circleRing(c[0], c[1], Math.max(100, this.distanceM(c, cursor)))] } });
    } else if (this.points.length) {
      const line = cursor ? [...this.points, cursor] : this.points;
      if (line.length > 1) f.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: line } });
    }
    for (const p of this.points) f.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
    this.tmap.set('draft', { type: 'FeatureCollection', features: f });
  }
}
