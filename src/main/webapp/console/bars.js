// Hourly stacked bars in plain SVG. A chart library would be the larger part of the console for what
// is one kind of chart with three series; drawing it is a few dozen lines, with nothing to vendor.
import { number } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 960;
const HEIGHT = 220;
const LEFT = 56;
const BOTTOM = 22;
const TOP = 8;

function node(tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/**
 * Draws one stacked bar per hour (input at the bottom, then output, then cache) into container.
 * series: [{hour, input, output, cache}], oldest first; labelEvery: label every n-th hour.
 */
export function drawBars(container, series, labelEvery) {
  const max = Math.max(1, ...series.map((h) => h.input + h.output + h.cache));
  const plot = HEIGHT - BOTTOM - TOP;
  const slot = (WIDTH - LEFT) / series.length;
  const bar = Math.max(1, slot * 0.75);
  const totals = series.reduce((sum, h) => ({ input: sum.input + h.input, output: sum.output + h.output,
    cache: sum.cache + h.cache }), { input: 0, output: 0, cache: 0 });
  const svg = node('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', preserveAspectRatio: 'none',
    'aria-label': `Hourly tokens: ${number(totals.input)} input, ${number(totals.output)} output, ${number(totals.cache)} cache`,
    'data-input': totals.input, 'data-output': totals.output, 'data-cache': totals.cache,
  });
  svg.append(node('line', { class: 'axis', x1: LEFT, y1: TOP + plot, x2: WIDTH, y2: TOP + plot }));
  svg.append(node('text', { x: LEFT - 6, y: TOP + 10, 'text-anchor': 'end' }, number(max)));
  svg.append(node('text', { x: LEFT - 6, y: TOP + plot, 'text-anchor': 'end' }, '0'));
  series.forEach((h, i) => {
    const x = LEFT + i * slot + (slot - bar) / 2;
    const group = node('g', { 'data-hour': new Date(h.hour).toISOString(), 'data-input': h.input, 'data-output': h.output,
      'data-cache': h.cache });
    let y = TOP + plot;
    for (const kind of ['input', 'output', 'cache']) {
      const height = (h[kind] / max) * plot;
      if (height > 0) {
        y -= height;
        group.append(node('rect', { class: kind, x, y, width: bar, height }));
      }
    }
    group.append(node('title', {}, `${new Date(h.hour).toISOString().slice(0, 13)}:00 UTC: ${number(h.input)} input, `
      + `${number(h.output)} output, ${number(h.cache)} cache`));
    svg.append(group);
    if (i % labelEvery === 0) {
      const label = new Date(h.hour).toISOString();
      svg.append(node('text', { x: x + bar / 2, y: HEIGHT - 6, 'text-anchor': 'middle' },
        labelEvery >= 24 ? label.slice(5, 10) : `${label.slice(11, 13)}h`));
    }
  });
  container.replaceChildren(svg);
}
