// The annotators tab: add an annotator or admin (the login link is shown once), disable or enable
// one, and issue a new login link (the old one stops working). Disable and a new link first ask,
// naming what they do to the person's sessions and link.
import * as API from '../api.js';
import { h, replace, formatDate, table } from '../dom.js';
import { confirmStep } from './confirm.js';

export const title = 'Annotators';

export async function render() {
  const holder = h('div', {});
  const linkBox = h('div', { attrs: { 'aria-live': 'polite' } });
  const showLink = (name, url) => replace(linkBox, h('div', { class: 'box' },
    h('p', {}, h('strong', { text: `Login link for ${name}` }), ' — shown once; copy it now and send it privately.'),
    h('p', { class: 'link-once', text: url, attrs: { id: 'login-link' } }),
    h('button', { text: 'Copy link', attrs: { type: 'button' }, on: { click: () => navigator.clipboard?.writeText(url).then(() => API.notify('Copied.')) } })));

  const name = h('input', { attrs: { type: 'text', id: 'new-name', required: true, maxlength: 100, autocomplete: 'off' } });
  const role = h('select', { attrs: { id: 'new-role' } }, h('option', { attrs: { value: 'annotator' }, text: 'annotator' }), h('option', { attrs: { value: 'admin' }, text: 'admin' }));
  const form = h('form', { class: 'box row', attrs: { 'aria-label': 'Add an annotator' }, on: { submit: async (e) => {
    e.preventDefault();
    if (!name.value.trim()) { API.notify('Enter a name.', 'error'); return; }
    try {
      const out = await API.createAnnotator(name.value.trim(), role.value);
      name.value = '';
      showLink(out.annotator.name, out.loginUrl);
      await refresh();
    } catch { /* shown */ }
  } } },
  h('div', {}, h('label', { attrs: { for: 'new-name' }, text: 'Name' }), name),
  h('div', {}, h('label', { attrs: { for: 'new-role' }, text: 'Role' }), role),
  h('div', {}, h('button', { class: 'primary', text: 'Add annotator', attrs: { type: 'submit' } })));

  const refresh = async () => {
    const list = await API.annotators();
    replace(holder, table(['Name', 'Role', 'Labels', 'Status', 'Created', 'Actions'], list.map(row), 'Annotators'));
  };
  const row = (a) => h('tr', {},
    h('td', { text: a.name }), h('td', { text: a.role }), h('td', { class: 'num', text: a.labels }),
    h('td', { text: a.disabled ? 'disabled' : a.canLogIn ? 'active' : 'no login (imported/AI)' }),
    h('td', { text: formatDate(a.createdAt) }),
    h('td', {}, a.canLogIn ? [
      h('button', { class: a.disabled ? '' : 'danger', text: a.disabled ? 'Enable' : 'Disable',
        attrs: { type: 'button', 'aria-label': `${a.disabled ? 'Enable' : 'Disable'} ${a.name}` },
        on: { click: async () => {
          if (!a.disabled && !(await confirmStep({ title: `Disable ${a.name}?`, danger: true, confirmText: `Disable ${a.name}`,
            consequence: `${a.name} is signed out at once and cannot sign in or label until enabled again. Their ${a.labels} labels stay.` })).ok) return;
          try { await API.setAnnotatorDisabled(a.id, !a.disabled); await refresh(); } catch { /* shown */ }
        } } }),
      ' ',
      h('button', { text: 'New login link', attrs: { type: 'button', 'aria-label': `New login link for ${a.name}` },
        on: { click: async () => {
          if (!(await confirmStep({ title: `New login link for ${a.name}?`, confirmText: 'Issue a new link',
            consequence: `${a.name}'s current login link stops working; you will see the new one once, to send them. Sessions already signed in stay signed in.` })).ok) return;
          try { const out = await API.renewLoginLink(a.id); showLink(a.name, out.loginUrl); } catch { /* shown */ }
        } } }),
    ] : null));
  await refresh();
  return [form, linkBox, holder];
}
