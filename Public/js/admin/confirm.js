// The confirmation step of the admin's consequential actions (promote, roll back, disable, new login
// link): a modal <dialog> that names the action and its consequence, with an optional "why" field
// whose text goes into the promotion history. Nothing happens until the admin presses the action's
// own button; Cancel, Escape or a click outside leave everything as it was.
import { h } from '../dom.js';

/**
 * Asks before doing `action`. `consequence` is the sentence saying what will change; `confirmText`
 * the button that does it; `askReason` adds a "Why (kept in the history)" field.
 * Resolves { ok: true, reason } when confirmed, { ok: false } otherwise.
 */
export function confirmStep({ title, consequence, confirmText, danger = false, askReason = false }) {
  return new Promise((resolve) => {
    const reason = askReason ? h('input', { attrs: { type: 'text', id: 'confirm-reason', maxlength: 500, autocomplete: 'off' } }) : null;
    const yes = h('button', { class: danger ? 'danger' : 'primary', text: confirmText, attrs: { type: 'submit', id: 'confirm-yes' } });
    const no = h('button', { text: 'Cancel', attrs: { type: 'button', id: 'confirm-no' } });
    const dialog = h('dialog', { class: 'confirm', attrs: { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' } },
      h('form', { attrs: { method: 'dialog' } },
        h('h2', { text: title, attrs: { id: 'confirm-title' } }),
        h('p', { text: consequence, attrs: { id: 'confirm-text' } }),
        reason ? h('div', {}, h('label', { attrs: { for: 'confirm-reason' }, text: 'Why (optional, kept in the promotion history)' }), reason) : null,
        h('p', { class: 'row' }, yes, no)));
    let answered = false;
    const finish = (ok) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(ok ? { ok: true, reason: reason?.value.trim() || undefined } : { ok: false });
    };
    dialog.querySelector('form').addEventListener('submit', (e) => { e.preventDefault(); finish(true); });
    no.addEventListener('click', () => finish(false));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    dialog.addEventListener('click', (e) => { if (e.target === dialog) finish(false); });
    document.body.append(dialog);
    dialog.showModal();
    (reason ?? no).focus();   // never the action itself: Enter on a stray focus must not confirm
  });
}
