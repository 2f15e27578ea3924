// Calls to the proxy's own endpoints, relative to the console's URL (<context>/console/), so the
// console works under any context path and behind a front proxy. The session cookie is HttpOnly;
// the CSRF token lives in this module's memory only (never in browser storage) and is fetched
// again from ./session after a reload.

let csrf = null;

/** A refusal or failure, with the API's own message (Anthropic's error shape). */
export class ApiFailure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCsrf(token) {
  csrf = token;
}

/** Sends a JSON call and answers the parsed body (null for 204); throws ApiFailure otherwise. */
export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (csrf) {
    headers['X-Creddy-Console'] = csrf;
  }
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch (e) {
    throw new ApiFailure(0, 'the proxy cannot be reached');
  }
  return answer(response);
}

/**
 * GETs a whole usage report for a query (window or from/to, agent): follows GET /v1/usage's pages
 * (each page's next as the following one's after) and joins them, an agent's tokens and sums going on
 * across pages, so the console shows the whole window whatever the API's page size.
 */
export async function usageReport(query) {
  let report = null;
  let after = null;
  do {
    const cursor = after ? `&after=${encodeURIComponent(after)}` : '';
    const page = await call('GET', `${paths.usage}?${query}&limit=${USAGE_PAGE}${cursor}`);
    report = report ? joinUsagePages(report, page) : page;
    after = page.has_more ? page.next : null;
  } while (after);
  return report;
}

const USAGE_PAGE = 1000;

function joinUsagePages(report, page) {
  report.total = addCounts(report.total, page.total);
  for (const agent of page.agents) {
    const last = report.agents[report.agents.length - 1];
    if (last && last.agent_name === agent.agent_name) {
      last.usage = addCounts(last.usage, agent.usage);
      last.tokens.push(...agent.tokens);
    } else {
      report.agents.push(agent);
    }
  }
  report.has_more = page.has_more;
  report.next = page.next;
  return report;
}

/** Adds every count of two usage objects (numbers only; anything else keeps the first page's). */
function addCounts(a, b) {
  const sum = { ...a };
  for (const [name, value] of Object.entries(b)) {
    if (typeof value === 'number' && typeof sum[name] === 'number') {
      sum[name] += value;
    }
  }
  return sum;
}

/** GETs a text resource (the Prometheus metrics) with the session. */
export async function text(path) {
  const headers = { Accept: 'text/plain' };
  if (csrf) {
    headers['X-Creddy-Console'] = csrf;
  }
  const response = await fetch(path, { headers, credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) {
    await answer(response);
  }
  return response.text();
}

async function answer(response) {
  if (response.status === 204) {
    return null;
  }
  let parsed = null;
  try {
    parsed = await response.json();
  } catch (e) {
    // not JSON: answered below by the status
  }
  if (!response.ok && !(response.status === 503 && parsed && parsed.checks)) {
    const message = parsed && parsed.error && parsed.error.message
      ? parsed.error.message : `the proxy answered ${response.status}`;
    throw new ApiFailure(response.status, message);
  }
  return parsed;
}

export const paths = {
  session: 'session',
  tokens: '../v1/tokens',
  token: (id) => `../v1/tokens/${encodeURIComponent(id)}`,
  usage: '../v1/usage',
  ready: '../health/ready',
  metrics: '../metrics',
};
