// The console's entry point: the session (sign in, sign out) and the four views, switched by the
// URL's fragment (#tokens, #issue, #usage, #health) so the back button and bookmarks work.
import { ApiFailure, call, paths, setCsrf } from './api.js';
import { $ } from './dom.js';
import * as tokens from './tokens.js';
import * as issue from './issue.js';
import * as usage from './usage.js';
import * as health from './health.js';

const views = { tokens, issue, usage, health };
let current = null;
let signedIn = false;

async function start() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  for (const view of Object.values(views)) {
    view.init({ show });
  }
  let session;
  try {
    session = await call('GET', paths.session);
  } catch (e) {
    $('loading').textContent = `The console cannot reach the proxy: ${e.message}`;
    return;
  }
  $('loading').hidden = true;
  if (session.signed_in) {
    enter(session);
  } else {
    showSignIn(session);
  }
}

function showSignIn(session) {
  signedIn = false;
  setCsrf(null);
  leaveView();
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('operator').textContent = '';
  for (const section of document.querySelectorAll('.view')) {
    section.hidden = section.id !== 'view-sign-in';
  }
  if (session && session.issuer_key === false) {
    $('sign-in-error').textContent = 'No issuer key is configured on this proxy: use the server\'s login below.';
  }
  $('issuer-key').focus();
}

function enter(session) {
  signedIn = true;
  setCsrf(session.csrf);
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  const how = { 'issuer key': 'Signed in with the issuer key', 'open issuance': 'Open issuance: no issuer key is set' };
  $('operator').textContent = how[session.operator] || `Signed in as ${session.operator}`;
  route();
}

async function signIn(event) {
  event.preventDefault();
  const field = $('issuer-key');
  const error = $('sign-in-error');
  error.textContent = '';
  $('sign-in-button').disabled = true;
  try {
    const session = await call('POST', paths.session, { issuer_key: field.value });
    field.value = '';
    enter(session);
  } catch (e) {
    error.textContent = e instanceof ApiFailure && e.status === 401
      ? 'Wrong issuer key: that key was refused. Check it and try again.'
      : `Sign-in failed: ${e.message}`;
    field.select();
  } finally {
    $('sign-in-button').disabled = false;
  }
}

async function signOut() {
  try {
    await call('DELETE', paths.session);
  } catch (e) {
    // The session is gone either way once the cookie is cleared; nothing more to tell.
  }
  history.replaceState(null, '', location.pathname + location.search);
  showSignIn(null);
}

/** Called by a view when the API says the session has ended (expired, signed out elsewhere, restart). */
function sessionEnded() {
  showSignIn(null);
  $('sign-in-error').textContent = 'Your console session has ended: sign in again.';
}

function route() {
  if (!signedIn) {
    return;
  }
  const [name, query] = (location.hash.slice(1) || 'tokens').split('?');
  const view = views[name] ? name : 'tokens';
  show(view, new URLSearchParams(query || ''));
}

/** Shows a view; others call it to move on (the usage table links to an agent's tokens). */
function show(name, params = new URLSearchParams()) {
  const wanted = `#${name}${params.toString() ? `?${params}` : ''}`;
  if (location.hash !== wanted) {
    history.replaceState(null, '', wanted);
  }
  leaveView();
  for (const section of document.querySelectorAll('.view')) {
    section.hidden = section.id !== `view-${name}`;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.view === name) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  current = views[name];
  current.enter(params, { sessionEnded }).catch((e) => {
    if (e instanceof ApiFailure && (e.status === 401 || e.status === 403)) {
      sessionEnded();
    }
  });
}

function leaveView() {
  if (current) {
    current.leave();
    current = null;
  }
}

start();
