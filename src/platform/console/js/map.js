// A map of terminals with Leaflet (Debian's libjs-leaflet, served from the platform): points and
// a scale on a plain background, since the platform may have no tile server to offer.

import * as L from '../leaflet/leaflet.esm.js';

const COLOURS = { normal: '#2f6db5', selected: '#e0701b', route: '#2a8a3e' };

// A map in @element; @onClick(terminal) when a point is clicked.
export function terminalMap(element, { onClick } = {}) {
  const map = L.map(element, { zoomControl: true, attributionControl: false, preferCanvas: true,
                               worldCopyJump: false });
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  map.setView([35, 105], 4);
  let layer = L.layerGroup().addTo(map);
  const markers = new Map();

  return {
    // @terminals: objects with device_id, latitude, longitude; @selected(terminal) tells the
    // colour; @route: draw them as one line in this order, numbered.
    show(terminals, { selected = () => false, route = false, fit = true } = {}) {
      layer.remove();
      layer = L.layerGroup().addTo(map);
      markers.clear();
      const placed = terminals.filter((t) => Number.isFinite(t.latitude) && Number.isFinite(t.longitude));
      if (route && placed.length > 1)
        L.polyline(placed.map((t) => [t.latitude, t.longitude]),
                   { color: COLOURS.route, weight: 2 }).addTo(layer);
      placed.forEach((terminal, index) => {
        const marker = L.circleMarker([terminal.latitude, terminal.longitude], {
          radius: route ? 7 : 5, weight: 1, color: '#ffffff', fillOpacity: 0.9,
          fillColor: route ? COLOURS.route : selected(terminal) ? COLOURS.selected : COLOURS.normal,
        });
        // Leaflet sets a tooltip's content as markup from a string: give it a text node.
        marker.bindTooltip(document.createTextNode(
          (route ? `${index + 1}. ` : '') + terminal.device_id + (terminal.name ? ` · ${terminal.name}` : '')));
        if (onClick)
          marker.on('click', () => onClick(terminal));
        marker.addTo(layer);
        markers.set(terminal.device_id, { marker, terminal });
      });
      if (fit && placed.length > 0)
        map.fitBounds(L.latLngBounds(placed.map((t) => [t.latitude, t.longitude])).pad(0.1),
                      { maxZoom: 13 });
    },
    recolour(selected) {
      for (const { marker, terminal } of markers.values())
        marker.setStyle({ fillColor: selected(terminal) ? COLOURS.selected : COLOURS.normal });
    },
    // The map's size changed (the page laid out after the map was made).
    resize() {
      map.invalidateSize();
    },
  };
}
