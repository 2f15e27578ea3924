// Usage: what each agent used over the last 24 hours or 7 days, as hourly bars (input, output and
// cache tokens) and a table; an agent's name leads to its tokens. Everything comes from GET /v1/usage:
// the table from one report over the window (read page by page), the bars from one per UTC hour (the ledger keeps
// hours; the API reports sums), fetched a few at a time. Hours that are over do not change, so they
// are fetched once per page load; only the current hour is fetched again on each refresh.
import { usageReport } from './api.js';
import { $, el, labelCells, number } from './dom.js';
import { drawBars } from './bars.js';

const HOUR_MS = 3600 * 1000;
const PARALLEL = 6;
const REFRESH_MS = 30000;
const finished = new Map();
let hours = 24;
let refresher = null;
let show = null;
let loading = null;
let again = false;

export function init(app) {
  show = app.show;
  $('usage-24h').addEventListener('click', () => choose(24));
  $('usage-7d').addEventListener('click', () => choose(168));
  $('usage-agent').addEventListener('change', () => load());
}

export async function enter() {
  refresher = setInterval(() => load().catch(() => {}), REFRESH_MS);
  await load();
}

export function leave() {
  clearInterval(refresher);
  refresher = null;
}

function choose(windowHours) {
  hours = windowHours;
  $('usage-24h').setAttribute('aria-pressed', String(windowHours === 24));
  $('usage-7d').setAttribute('aria-pressed', String(windowHours === 168));
  load().catch(() => {});
}

async function load() {
  // One load at a time; a change of window or agent during a slow load runs another right after it,
  // so what is shown always ends up matching what is chosen.
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      await doLoad();
    } while (again);
  })().finally(() => {
    loading = null;
  });
  return loading;
}

async function doLoad() {
  const status = $('usage-status');
  const agent = $('usage-agent').value;
  const agentQuery = agent ? `&agent=${encodeURIComponent(agent)}` : '';
  status.textContent = 'Loading…';
  try {
    const report = await usageReport(`window=${hours}h${agentQuery}`);
    table(report);
    if (!agent) {
      agents(report.agents.map((line) => line.agent_name));
    }
    const series = await hourly(agent, agentQuery);
    drawBars($('usage-chart'), series, hours === 24 ? 3 : 24);
    status.textContent = `${hours === 24 ? 'Last 24 hours' : 'Last 7 days'}${agent ? ` · ${agent}` : ' · all agents'}`
      + ` · ${report.from} to ${report.to} · updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    status.textContent = `Cannot read usage: ${e.message}`;
    throw e;
  }
}

/** One entry per hour of the window, oldest first: {hour, input, output, cache}. */
async function hourly(agent, agentQuery) {
  const current = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const wanted = [];
  for (let i = hours - 1; i >= 0; i--) {
    wanted.push(current - i * HOUR_MS);
  }
  const result = new Map();
  const queue = wanted.filter((hour) => {
    const cached = finished.get(`${agent}|${hour}`);
    if (cached && hour < current) {
      result.set(hour, cached);
      return false;
    }
    return true;
  });
  async function worker() {
    while (queue.length) {
      const hour = queue.shift();
      const from = new Date(hour).toISOString().replace('.000Z', 'Z');
      const to = new Date(hour + HOUR_MS).toISOString().replace('.000Z', 'Z');
      const report = await usageReport(`from=${from}&to=${to}${agentQuery}`);
      const total = report.total;
      const entry = {
        hour,
        input: total.input_tokens,
        output: total.output_tokens,
        cache: total.cache_creation_input_tokens + total.cache_read_input_tokens,
      };
      result.set(hour, entry);
      if (hour < current) {
        finished.set(`${agent}|${hour}`, entry);
      }
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return wanted.map((hour) => result.get(hour));
}

function table(report) {
  const rows = report.agents.map((line) => {
    const link = el('a', { href: `#tokens?agent=${encodeURIComponent(line.agent_name)}`, class: 'agent',
      title: `Live tokens of ${line.agent_name}` }, line.agent_name);
    link.addEventListener('click', (event) => {
      event.preventDefault();
      show('tokens', new URLSearchParams({ agent: line.agent_name }));
    });
    const u = line.usage;
    return el('tr', { 'data-agent': line.agent_name, 'data-input': u.input_tokens, 'data-output': u.output_tokens },
      el('td', {}, link),
      ...[u.requests, u.errors, u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens, u.tokens]
        .map((value) => el('td', { class: 'num' }, number(value))));
  });
  if (rows.length === 0) {
    rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 8 }, 'No usage in this window.')));
  }
  $('usage-table').tBodies[0].replaceChildren(...rows);
  labelCells($('usage-table'));
}

function agents(names) {
  const select = $('usage-agent');
  const chosen = select.value;
  const options = [el('option', { value: '' }, 'all agents'), ...names.map((name) => el('option', { value: name }, name))];
  select.replaceChildren(...options);
  select.value = names.includes(chosen) ? chosen : '';
}
