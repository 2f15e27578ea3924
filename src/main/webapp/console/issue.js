// Issue: the form for POST /v1/tokens. The API validates (its messages are shown as they are); the
// new token is shown once, with the lines to paste, and is dropped from the page on Done, on leaving
// the view, or after five minutes. It is never written to browser storage.
import { call, paths } from './api.js';
import { $ } from './dom.js';

const SHOWN_FOR_MS = 5 * 60 * 1000;
let hideTimer = null;

export function init() {
  $('issue-form').addEventListener('submit', submit);
  $('issued-copy').addEventListener('click', copy);
  $('issued-done').addEventListener('click', forget);
}

export async function enter() {
  $('issue-agent').focus();
}

export function leave() {
  forget();
}

/** The request body: empty fields are left out, so the proxy's defaults apply. */
function body() {
  const request = {};
  const text = (id) => $(id).value.trim();
  if (text('issue-agent')) request.agent_name = text('issue-agent');
  if (text('issue-ttl')) request.ttl = text('issue-ttl');
  for (const [id, name] of [['issue-rpm', 'rpm'], ['issue-tpm', 'tpm'], ['issue-max', 'max_tokens_total']]) {
    const value = text(id);
    if (value) {
      // A number when it reads as one; otherwise as typed, for the API to say what is wrong with it.
      request[name] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    }
  }
  if (text('issue-models')) {
    request.models = text('issue-models').split(',').map((model) => model.trim()).filter((model) => model);
  }
  return request;
}

async function submit(event) {
  event.preventDefault();
  const error = $('issue-error');
  error.textContent = '';
  forget();
  if (!$('issue-agent').value.trim()) {
    error.textContent = 'agent_name: give the agent a name, such as ci-runner';
    $('issue-agent').focus();
    return;
  }
  $('issue-button').disabled = true;
  try {
    const issued = await call('POST', paths.tokens, body());
    show(issued);
    $('issue-form').reset();
  } catch (e) {
    error.textContent = e.message;
  } finally {
    $('issue-button').disabled = false;
  }
}

function show(issued) {
  const base = new URL('../', location.href).href.replace(/\/$/, '');
  $('issued-agent').textContent = issued.agent_name;
  $('issued-lines').value = `ANTHROPIC_BASE_URL=${base}\nANTHROPIC_API_KEY=${issued.token}`;
  $('issued-copied').textContent = `Token ${issued.id}, expires ${issued.expires_at} (ttl ${issued.ttl}).`;
  $('issued').hidden = false;
  $('issued-copy').focus();
  hideTimer = setTimeout(forget, SHOWN_FOR_MS);
}

async function copy() {
  const lines = $('issued-lines');
  try {
    await navigator.clipboard.writeText(lines.value);
  } catch (e) {
    // No clipboard API outside a secure context (plain http on another host): copy the selection.
    lines.focus();
    lines.select();
    document.execCommand('copy');
  }
  $('issued-copied').textContent = 'Copied. Paste the lines into the agent\'s environment, then click Done.';
}

function forget() {
  clearTimeout(hideTimer);
  hideTimer = null;
  $('issued-lines').value = '';
  $('issued-agent').textContent = '';
  $('issued-copied').textContent = '';
  $('issued').hidden = true;
}
