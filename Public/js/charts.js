// Inline SVG charts built with DOM calls (no markup strings, no inline styles): a line chart for
// series over time or steps, and a horizontal bar chart. Colours come from classes s0…s3 in app.css.
import { h, svg } from './dom.js';

const W = 640;

/** Rounds a span to 1, 2 or 5 times a power of ten, for axis ticks. */
function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || p;
}

const fmt = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : +v.toPrecision(3)).toString();

/**
 * series: [{ name, points: [[x, y], …] }]; options: title (accessible name), xFormat (x → text),
 * height. Returns a <figure> with the chart and a legend.
 */
export function lineChart(series, { title, xFormat = fmt, yFormat = fmt, height = 220 } = {}) {
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const fig = h('figure', { class: 'box' }, h('figcaption', { text: title }));
  if (!all.length) {
    fig.append(h('p', { class: 'muted', text: 'No data yet.' }));
    return fig;
  }
  const pad = { l: 48, r: 12, t: 10, b: 28 };
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y1 = y0 + 1; }
  const X = (x) => pad.l + ((x - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const Y = (y) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title });
  const step = niceStep(y1 - y0, 4);
  y1 = Math.ceil(y1 / step - 1e-9) * step; // the top gridline sits at or above the largest value
  y0 = Math.floor(y0 / step + 1e-9) * step;
  for (let v = Math.ceil(y0 / step) * step; v <= y1 + 1e-9; v += step) {
    root.append(svg('line', { class: 'grid', x1: pad.l, x2: W - pad.r, y1: Y(v), y2: Y(v) }),
      svg('text', { x: pad.l - 6, y: Y(v) + 4, 'text-anchor': 'end' }, yFormat(v)));
  }
  root.append(svg('line', { class: 'axis', x1: pad.l, x2: W - pad.r, y1: height - pad.b, y2: height - pad.b }));
  for (const [i, x] of [x0, (x0 + x1) / 2, x1].entries()) {
    root.append(svg('text', { x: X(x), y: height - 8, 'text-anchor': ['start', 'middle', 'end'][i] }, xFormat(x)));
  }
  series.forEach((s, k) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return;
    const cls = `s${k % 4}`;
    root.append(svg('polyline', { class: `line ${cls}`, points: pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ') }));
    if (pts.length < 40) pts.forEach(([x, y]) => root.append(svg('circle', { class: cls, cx: X(x), cy: Y(y), r: 2.5 })));
  });
  fig.append(root);
  if (series.length > 1 || series[0]?.name) {
    fig.append(h('div', { class: 'legend-inline' }, series.map((s, k) =>
      h('span', {}, h('span', { class: `swatch s${k % 4}`, attrs: { 'aria-hidden': 'true' } }), s.name))));
  }
  return fig;
}

/** bars: [{ label, value, note }]; horizontal bars scaled to the largest value (or `max`). */
export function barChart(bars, { title, max, format = fmt } = {}) {
  const fig = h('figure', { class: 'box' }, h('figcaption', { text: title }));
  if (!bars.length) {
    fig.append(h('p', { class: 'muted', text: 'No data yet.' }));
    return fig;
  }
  const rowH = 24, labelW = 150, height = bars.length * rowH + 8;
  const top = max ?? Math.max(1e-9, ...bars.map((b) => b.value));
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title });
  bars.forEach((b, i) => {
    const y = 4 + i * rowH;
    const w = Math.max(0, (b.value / top) * (W - labelW - 190));
    root.append(
      svg('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end' }, truncate(b.label, 22)),
      svg('rect', { class: 'bar', x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 8, rx: 2 }),
      svg('text', { x: labelW + w + 6, y: y + 15 }, b.note ?? format(b.value)));
  });
  fig.append(root);
  return fig;
}

const truncate = (s, n) => (String(s).length > n ? String(s).slice(0, n - 1) + '…' : String(s));
