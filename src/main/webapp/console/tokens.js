// Tokens: every live token with its limits, usage so far and identity, a live expiry countdown,
// a filter by agent, and revoke with a confirmation. Lists from GET /v1/tokens (every page) and
// joins what each token used from GET /v1/usage over the last 7 days (the default history).
import { call, paths, usageReport } from './api.js';
import { $, countdown, el, labelCells, number, utc } from './dom.js';

const REFRESH_MS = 10000;
let tokens = [];
let usageById = new Map();
let ticker = null;
let refresher = null;
let hooks = null;
let pending = null;

export function init() {
  $('agent-filter').addEventListener('input', render);
  $('tokens-refresh').addEventListener('click', () => load());
  $('revoke-cancel').addEventListener('click', () => $('revoke-dialog').close());
  $('revoke-confirm').addEventListener('click', confirmRevoke);
}

export async function enter(params, sessionHooks) {
  hooks = sessionHooks;
  if (params.has('agent')) {
    $('agent-filter').value = params.get('agent');
  }
  ticker = setInterval(tick, 1000);
  refresher = setInterval(() => load().catch(() => {}), REFRESH_MS);
  await load();
}

export function leave() {
  clearInterval(ticker);
  clearInterval(refresher);
  ticker = null;
  refresher = null;
}

async function load() {
  const status = $('tokens-status');
  try {
    const all = [];
    let after = '';
    for (;;) {
      const page = await call('GET', `${paths.tokens}?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      all.push(...page.data);
      if (!page.has_more || !page.last_id) {
        break;
      }
      after = page.last_id;
    }
    tokens = all;
    usageById = await usageOfTokens();
    status.textContent = `${tokens.length} live token${tokens.length === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
    render();
  } catch (e) {
    status.textContent = `Cannot list tokens: ${e.message}`;
    if (e.status === 401 || e.status === 403) {
      hooks.sessionEnded();
    }
    throw e;
  }
}

/** Each token's usage in the history the ledger keeps (7 days by default, else the last day). */
async function usageOfTokens() {
  let report;
  try {
    report = await usageReport('window=168h');
  } catch (e) {
    if (e.status !== 400) {
      throw e;
    }
    report = await usageReport('window=24h');
  }
  const byId = new Map();
  for (const agent of report.agents) {
    for (const line of agent.tokens) {
      byId.set(line.id, line.usage);
    }
  }
  return byId;
}

function render() {
  const filter = $('agent-filter').value.trim().toLowerCase();
  const body = $('tokens-table').tBodies[0];
  const shown = tokens.filter((token) => !filter || token.agent_name.toLowerCase().includes(filter));
  const rows = shown.map(row);
  if (rows.length === 0) {
    rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 8 },
      tokens.length === 0 ? 'No live tokens.' : 'No live token of an agent matching the filter.')));
  }
  body.replaceChildren(...rows);
  labelCells($('tokens-table'));
}

function row(token) {
  const used = usageById.get(token.id);
  const limits = [];
  if (token.rpm) limits.push(`rpm ${number(token.rpm)}`);
  if (token.tpm) limits.push(`tpm ${number(token.tpm)}`);
  if (token.max_tokens_total) limits.push(`total ${number(token.max_tokens_total)}`);
  if (token.models) limits.push(`models ${token.models.join(', ')}`);
  const usage = used
    ? el('span', {
      class: 'usage', 'data-requests': used.requests, 'data-input': used.input_tokens, 'data-output': used.output_tokens,
      'data-cache': used.cache_creation_input_tokens + used.cache_read_input_tokens,
    }, `${number(used.requests)} req · ${number(used.input_tokens)} in · ${number(used.output_tokens)} out · `
      + `${number(used.cache_creation_input_tokens + used.cache_read_input_tokens)} cache`)
    : el('span', { class: 'usage muted', 'data-requests': 0, 'data-input': 0, 'data-output': 0, 'data-cache': 0 }, 'none yet');
  const identity = token.identity
    ? el('span', {}, token.identity.subject || '', el('br'), el('span', { class: 'muted' }, token.identity.issuer || ''))
    : el('span', { class: 'muted' }, '—');
  const revoke = el('button', { type: 'button', class: 'revoke', 'aria-label': `Revoke token ${token.id} of ${token.agent_name}` }, 'Revoke');
  revoke.addEventListener('click', () => askRevoke(token));
  const expires = Date.parse(token.expires_at);
  return el('tr', { 'data-token-id': token.id },
    el('td', {}, token.agent_name),
    el('td', {}, el('code', {}, token.id)),
    el('td', {}, utc(token.created_at)),
    el('td', { class: 'countdown', 'data-expires': expires, title: utc(token.expires_at) }, countdown(expires)),
    el('td', {}, limits.length ? limits.join(' · ') : el('span', { class: 'muted' }, 'none')),
    el('td', {}, usage),
    el('td', {}, identity),
    el('td', {}, revoke));
}

function tick() {
  const now = Date.now();
  for (const cell of document.querySelectorAll('#tokens-table td.countdown')) {
    const until = Number(cell.dataset.expires);
    cell.textContent = countdown(until, now);
    cell.classList.toggle('soon', until - now < 60000);
  }
}

function askRevoke(token) {
  pending = token;
  $('revoke-id').textContent = token.id;
  $('revoke-agent').textContent = token.agent_name;
  $('revoke-dialog').showModal();
  $('revoke-cancel').focus();
}

async function confirmRevoke() {
  const token = pending;
  $('revoke-dialog').close();
  if (!token) {
    return;
  }
  pending = null;
  try {
    await call('DELETE', paths.token(token.id));
    $('tokens-status').textContent = `Revoked ${token.id} of ${token.agent_name}.`;
  } catch (e) {
    $('tokens-status').textContent = `Cannot revoke ${token.id}: ${e.message}`;
  }
  tokens = tokens.filter((live) => live.id !== token.id);
  render();
  await load().catch(() => {});
}
