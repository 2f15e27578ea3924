// Health: readiness of each part (GET /health/ready) and the live figures from the same meters as
// /metrics (its Prometheus text, read with the console session): requests per second (from two
// readings of creddy_requests_total), streams open, upstream pool use, validation failures by reason.
import { call, paths, text } from './api.js';
import { $, el, number } from './dom.js';

const REFRESH_MS = 5000;
let refresher = null;
let previous = null;

export function init() {
  $('health-refresh').addEventListener('click', () => load().catch(() => {}));
}

export async function enter() {
  previous = null;
  refresher = setInterval(() => load().catch(() => {}), REFRESH_MS);
  await load();
}

export function leave() {
  clearInterval(refresher);
  refresher = null;
}

async function load() {
  const status = $('health-status');
  const ready = await call('GET', paths.ready);
  $('readiness').replaceChildren(...Object.entries(ready.checks).map(([part, check]) =>
    el('li', { 'data-part': part },
      el('span', { class: `state ${check.status}` }, check.status === 'ok' ? 'ok' : 'unavailable'),
      part.replace(/_/g, ' '),
      check.reason ? el('div', { class: 'muted' }, check.reason) : null)));
  let samples;
  try {
    samples = parse(await text(paths.metrics));
  } catch (e) {
    $('figures').replaceChildren(el('dt', {}, 'metrics'), el('dd', {}, e.status === 404 ? 'off' : 'unreadable'));
    $('failures').replaceChildren(el('li', { class: 'muted' }, e.message));
    status.textContent = `Ready: ${ready.status} · ${e.message}`;
    return;
  }
  figures(samples);
  status.textContent = `Ready: ${ready.status} · updated ${new Date().toLocaleTimeString()}`;
}

/** Prometheus text to [{name, labels, value}]; comments and blank lines skipped. */
function parse(body) {
  const samples = [];
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) {
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) {
      continue;
    }
    const labels = {};
    for (const pair of (match[3] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]] = pair[2];
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

function sum(samples, name, filter = () => true) {
  return samples.filter((s) => s.name === name && filter(s.labels)).reduce((total, s) => total + s.value, 0);
}

function figures(samples) {
  const now = performance.now();
  const requests = sum(samples, 'creddy_requests_total');
  let rate = 'measuring…';
  if (previous && now > previous.at) {
    rate = ((requests - previous.requests) / ((now - previous.at) / 1000)).toFixed(2);
  }
  previous = { at: now, requests };
  const pool = (state) => sum(samples, 'creddy_upstream_pool', (labels) => labels.state === state);
  const rows = [
    ['Requests per second', rate],
    ['Requests in all', number(requests)],
    ['Streams open', number(sum(samples, 'creddy_streams_open'))],
    ['Upstream pool in use', `${number(pool('leased'))} of ${number(pool('max'))}`],
    ['Waiting for a connection', number(pool('pending'))],
    ['Live tokens', number(sum(samples, 'creddy_tokens_active'))],
  ];
  $('figures').replaceChildren(...rows.flatMap(([name, value]) => [el('dt', {}, name), el('dd', { 'data-figure': name }, value)]));
  const failures = samples.filter((s) => s.name === 'creddy_token_validation_failures_total');
  $('failures').replaceChildren(...(failures.length
    ? failures.map((s) => el('li', { 'data-reason': s.labels.reason }, el('span', { class: 'state' }, number(s.value)), s.labels.reason))
    : [el('li', { class: 'muted' }, 'none since start')]));
}
