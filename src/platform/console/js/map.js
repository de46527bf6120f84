// A map of terminals with Leaflet (Debian's libjs-leaflet, served from the platform): points and
// a scale on a plain background, since the platform may have no tile server to offer.

import * as L from '../leaflet/leaflet.esm.js';

const COLOURS = { normal: '#2f6db5', selected: '#e0701b', route: '#2a8a3e' };
// Up to this many points are SVG elements (each can be found, focused and clicked as an element of
// the page); more are painted on one canvas, which stays fast with tens of thousands.
const SVG_POINTS = 2000;

// A map in @element; @onClick(terminal) when a point is clicked.
export function terminalMap(element, { onClick } = {}) {
  const map = L.map(element, { zoomControl: true, attributionControl: false });
  const canvas = L.canvas();
  const vector = L.svg();
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.setView([35, 105], 4);
  let layer = L.layerGroup().addTo(map);
  const markers = new Map();
  let bounds = null;
  const fitToPoints = () => map.fitBounds(bounds, { maxZoom: 13 });
  // The page may lay out again after the map was drawn (the table beside it fills, a font
  // arrives): the map then takes its new size and shows its points again.
  new ResizeObserver(() => {
    map.invalidateSize();
    if (bounds)
      fitToPoints();
  }).observe(element);

  return {
    // @terminals: objects with device_id, latitude, longitude; @selected(terminal) tells the
    // colour; @route: draw them as one line in this order, numbered.
    show(terminals, { selected = () => false, route = false } = {}) {
      layer.remove();
      layer = L.layerGroup().addTo(map);
      markers.clear();
      const placed = terminals.filter((t) => Number.isFinite(t.latitude) && Number.isFinite(t.longitude));
      const renderer = placed.length > SVG_POINTS ? canvas : vector;
      if (route && placed.length > 1)
        L.polyline(placed.map((t) => [t.latitude, t.longitude]),
                   { renderer, color: COLOURS.route, weight: 2, className: 'route' }).addTo(layer);
      placed.forEach((terminal, index) => {
        const marker = L.circleMarker([terminal.latitude, terminal.longitude], {
          renderer, radius: route ? 7 : 5, weight: 1, color: '#ffffff', fillOpacity: 0.9,
          fillColor: route ? COLOURS.route : selected(terminal) ? COLOURS.selected : COLOURS.normal,
        });
        // Leaflet sets a tooltip's content as markup from a string: give it a text node. Made
        // when the pointer first comes, not for each of thousands of points up front.
        marker.once('mouseover', () => {
          marker.bindTooltip(document.createTextNode(
            (route ? `${index + 1}. ` : '') + terminal.device_id + (terminal.name ? ` · ${terminal.name}` : '')));
          marker.openTooltip();
        });
        if (onClick)
          marker.on('click', () => onClick(terminal));
        marker.addTo(layer);
        marker.getElement()?.setAttribute('data-device', terminal.device_id);
        markers.set(terminal.device_id, { marker, terminal });
      });
      bounds = placed.length > 0
        ? L.latLngBounds(placed.map((t) => [t.latitude, t.longitude])).pad(0.1) : null;
      if (bounds)
        fitToPoints();
    },
    recolour(selected) {
      for (const { marker, terminal } of markers.values())
        marker.setStyle({ fillColor: selected(terminal) ? COLOURS.selected : COLOURS.normal });
    },
    // What the map shows, as the API's area filter: "south,west,north,east" in degrees.
    area() {
      const view = map.getBounds();
      const clamp = (value, limit) => Math.max(-limit, Math.min(limit, value)).toFixed(5);
      return [clamp(view.getSouth(), 90), clamp(view.getWest(), 180), clamp(view.getNorth(), 90),
              clamp(view.getEast(), 180)].join(',');
    },
  };
}
