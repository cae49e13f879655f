// The admin page: a small hash router over one module per tab (Public/js/admin/). `#annotators`
// shows the annotators view, an unknown or empty hash the dashboard. Annotator sessions get a plain
// "admins only" message (and the API answers them 403 anyway).
//
// A view module exports `title` and `render(page)`, which returns the nodes to show under the title.
// `page` is the view's handle on the router: page.redraw() draws it again in place (live progress),
// page.every(ms) redraws it every ms while it is shown, page.onLeave(fn) runs fn when it is left or
// redrawn (to close an event stream), or at once if that has happened. A page that is no longer shown
// never redraws.
import * as API from './api.js';
import { h, replace } from './dom.js';
import * as dashboard from './admin/dashboard.js';
import * as annotators from './admin/annotators.js';
import * as data from './admin/data.js';
import * as settings from './admin/settings.js';
import * as training from './admin/training.js';
import * as models from './admin/models.js';
import * as evaluations from './admin/evaluations.js';

const VIEWS = { dashboard, annotators, data, settings, training, models, evaluations };

const $ = (id) => document.getElementById(id);
const view = () => $('view');
/** The page shown now; its leave handlers run before the next one is drawn. */
let current = null;

async function start() {
  let who;
  try {
    who = await API.me();
  } catch (e) {
    if (e instanceof API.ApiError && e.status === 401) {
      deny('You are not logged in. Open your admin login link (the server printed one on first start).');
    } else {
      deny(API.describe(e), 'Hilo is not answering');
    }
    return;
  }
  $('who').textContent = who.name;
  API.logoutButton($('btn-logout'), () => { location.href = '/'; });
  if (who.role !== 'admin') { deny(); return; }
  $('tabs').hidden = false;
  window.addEventListener('hashchange', () => route());
  route();
}

function deny(text, title = 'Admins only') {
  $('denied').hidden = false;
  $('denied').querySelector('h1').textContent = title;
  if (text) $('denied-text').textContent = text;
  $('tabs').hidden = true;
  replace(view());
}

function leave() {
  const page = current;
  current = null;
  for (const fn of page?.leaving ?? []) fn();
}

/** Draws the view named by the URL's hash; `refresh` redraws it in place, without "Loading…". */
async function route(refresh = false) {
  leave();
  const name = (location.hash || '#dashboard').slice(1);
  const known = name in VIEWS ? name : 'dashboard';
  const v = VIEWS[known];
  document.querySelectorAll('#tabs a').forEach((a) => {
    if (a.getAttribute('href') === `#${known}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.title = `Hilo · ${v.title}`;
  const page = {
    leaving: [],
    redraw: () => { if (current === page) route(true); },
    every: (ms) => { const timer = setInterval(page.redraw, ms); page.onLeave(() => clearInterval(timer)); },
    onLeave: (fn) => { if (current === page) page.leaving.push(fn); else fn(); },   // left already: at once
  };
  current = page;
  if (refresh !== true) replace(view(), h('h1', { text: v.title }), h('p', { class: 'muted', text: 'Loading…' }));
  try {
    const nodes = await v.render(page);
    replace(view(), h('h1', { text: v.title }), nodes);
  } catch (e) {
    if (e instanceof API.ApiError && e.status === 403) { deny(); return; }
    replace(view(), h('h1', { text: v.title }), h('p', { class: 'muted', text: `Could not load this page: ${API.describe(e)}` }));
  }
}

start();
