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
