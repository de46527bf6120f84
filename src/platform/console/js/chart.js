// A horizontal bar chart in SVG: one bar per model, one segment per version (oldest first), each
// segment a link to that version's terminals.

import { svg } from './dom.js';
import { formatNumber } from './i18n.js';

const PALETTE = ['#2f6db5', '#e0701b', '#2a8a3e', '#b83b5e', '#7a5cc2', '#8c6d1f', '#1b8a99',
                 '#c2418a', '#5d7a1b', '#a34d2b'];

let measure = null;

// @text as it fits in @room pixels at the labels' 13px (.bar-label): cut with an ellipsis when
// longer. SVG text does not wrap, and an end-anchored label longer than its room ran off the
// chart's left edge, hiding its start (the vendor); the label's <title> and the table keep it
// whole.
function fitted(text, room) {
  if (measure === null) {
    measure = document.createElement('canvas').getContext('2d');
    measure.font = `13px ${getComputedStyle(document.body).fontFamily}`;
  }
  const characters = Array.from(text);
  if (measure.measureText(text).width <= room)
    return text;
  while (characters.length > 1 && measure.measureText(characters.join('') + '…').width > room)
    characters.pop();
  return characters.join('') + '…';
}

// @bars: [{label, segments: [{label, value, href}]}]; segments of one label share a colour. The
// chart is drawn @width pixels wide, so that its text keeps the page's size.
export function barChart(bars, { id, title, width = 900 } = {}) {
  const labelWidth = 200, barHeight = 26, gap = 10, valueWidth = 80;
  const plotWidth = width - labelWidth - valueWidth;
  const largest = Math.max(1, ...bars.map((bar) => bar.segments.reduce((sum, s) => sum + s.value, 0)));
  const colours = new Map();
  const colourOf = (label) => {
    if (!colours.has(label))
      colours.set(label, PALETTE[colours.size % PALETTE.length]);
    return colours.get(label);
  };
  const height = bars.length * (barHeight + gap) + gap;
  const rows = bars.map((bar, row) => {
    const y = gap + row * (barHeight + gap);
    let x = labelWidth;
    const total = bar.segments.reduce((sum, s) => sum + s.value, 0);
    const segments = bar.segments.map((segment) => {
      const w = Math.max(1, (segment.value / largest) * plotWidth);
      const rect = svg('a', { href: segment.href, class: 'segment' },
        svg('rect', { x, y, width: w, height: barHeight, fill: colourOf(segment.label) }),
        svg('title', null, `${bar.label} ${segment.label}: ${formatNumber(segment.value)}`),
        w > 48 ? svg('text', { x: x + 4, y: y + barHeight / 2 + 4, class: 'segment-label' }, segment.label)
               : null);
      x += w;
      return rect;
    });
    return svg('g', null,
      svg('text', { x: labelWidth - 8, y: y + barHeight / 2 + 4, class: 'bar-label' },
        fitted(bar.label, labelWidth - 8), svg('title', null, bar.label)),
      segments,
      svg('text', { x: x + 6, y: y + barHeight / 2 + 4, class: 'bar-value' }, formatNumber(total)));
  });
  return svg('svg', {
    id, class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title,
  }, rows);
}
