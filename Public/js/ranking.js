// The ranking of K responses with ties. The state is a list of tiers (best first), each a list of
// response positions (0 = A). Mouse: drag a chip onto another row to tie it there, or onto the gap
// between rows to give it a row of its own; click a chip to select it for the buttons. Keyboard
// (driven from annotate.js): a number selects a response, moveUp/moveDown move it a row, tieUp
// puts it in the row above.
import { h, letter, replace } from './dom.js';

export class Ranking {
  /** `list` is the <ol> to draw into; `snippets` a short text per response; `onChange` runs after edits. */
  constructor(list, snippets, onChange = () => {}) {
    this.list = list;
    this.snippets = snippets;
    const count = snippets.length;
    this.count = count;
    this.onChange = onChange;
    this.onSelect = () => {};
    this.tiers = Array.from({ length: count }, (_, i) => [i]);
    this.selected = null;
    this.touched = false;
    this.render();
  }

  tierOf(i) { return this.tiers.findIndex((t) => t.includes(i)); }

  /** rank (1 = best, equal for ties) of every response position. */
  ranks() {
    const out = new Array(this.count);
    this.tiers.forEach((tier, r) => tier.forEach((i) => { out[i] = r + 1; }));
    return out;
  }

  /** Sets the order from a rank per position (1 = best, equal = tied), as a restored answer. */
  setRanks(ranks) {
    const levels = [...new Set(ranks)].sort((a, b) => a - b);
    this.tiers = levels.map((r) => ranks.map((x, i) => (x === r ? i : -1)).filter((i) => i >= 0));
    this.touched = true;
    this.render();
  }

  select(i) {
    if (i < 0 || i >= this.count) return;
    this.selected = i;
    this.render();
    this.list.querySelector(`[data-pos="${i}"]`)?.focus();
    this.onSelect(i);
  }

  /** Moves the selected response one row up (-1) or down (+1). Out of a shared row it gets its own. */
  move(dir) {
    const i = this.selected;
    if (i === null) return false;
    const t = this.tierOf(i);
    if (this.tiers[t].length > 1) {
      this.tiers[t] = this.tiers[t].filter((x) => x !== i);
      this.tiers.splice(dir < 0 ? t : t + 1, 0, [i]);
    } else {
      const u = t + dir;
      if (u < 0 || u >= this.tiers.length) return false;
      [this.tiers[t], this.tiers[u]] = [this.tiers[u], this.tiers[t]];
    }
    return this.changed(`Response ${letter(i)} moved ${dir < 0 ? 'up' : 'down'}`);
  }

  /** Ties the selected response with the row above it (or, in the top row, with the row below). */
  tie() {
    const i = this.selected;
    if (i === null) return false;
    const t = this.tierOf(i);
    const u = t > 0 ? t - 1 : t + 1;
    if (u >= this.tiers.length) return false;
    this.placeInto(i, u);
    return this.changed(`Response ${letter(i)} tied`);
  }

  /** Moves response i into existing tier index `target` (a tie). */
  placeInto(i, target) {
    this.tiers = this.tiers
      .map((t, k) => (k === target ? [...t.filter((x) => x !== i), i].sort((a, b) => a - b) : t.filter((x) => x !== i)))
      .filter((t) => t.length > 0);
  }

  /** Moves response i into a new tier inserted before tier index `gap` (gap = length: at the end). */
  placeAt(i, gap) {
    const t = this.tiers.map((tier) => tier.filter((x) => x !== i));
    t.splice(gap, 0, [i]);
    this.tiers = t.filter((tier) => tier.length > 0);
  }

  changed(what) {
    this.touched = true;
    this.render();
    if (this.selected !== null) this.list.querySelector(`[data-pos="${this.selected}"]`)?.focus();
    this.onChange(what);
    return true;
  }

  render() {
    const items = [];
    const gap = (g) => h('li', {
      class: 'gap', attrs: { 'aria-hidden': 'true' }, data: { gap: g },
      on: { dragover: allowDrop, dragleave: leave, drop: (e) => this.drop(e, (i) => this.placeAt(i, g)) },
    });
    this.tiers.forEach((tier, r) => {
      items.push(gap(r));
      const chips = tier.map((i) => h('button', {
        class: 'chip' + (this.selected === i ? ' selected' : ''),
        attrs: {
          type: 'button', draggable: 'true', 'aria-pressed': this.selected === i ? 'true' : 'false',
          'aria-label': `Response ${letter(i)}, rank ${r + 1}${tier.length > 1 ? ', tied' : ''}`,
        },
        data: { pos: i },
        on: {
          click: () => this.select(i),
          dragstart: (e) => { e.dataTransfer.setData('text/plain', String(i)); e.dataTransfer.effectAllowed = 'move'; },
        },
      }, h('span', { class: 'letter', text: letter(i) }), h('span', { class: 'snip', text: this.snippets[i] })));
      items.push(h('li', {
        class: 'tier', data: { rank: r + 1 },
        on: { dragover: allowDrop, dragleave: leave, drop: (e) => this.drop(e, (i) => this.placeInto(i, r)) },
      }, h('span', { class: 'rank', text: `${r + 1}`, attrs: { 'aria-hidden': 'true' } }), ...chips,
      tier.length > 1 ? h('span', { class: 'tied', text: 'tie' }) : null));
    });
    items.push(gap(this.tiers.length));
    replace(this.list, items);
  }

  drop(e, place) {
    e.preventDefault();
    e.currentTarget.classList.remove('over');
    const i = Number(e.dataTransfer.getData('text/plain'));
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return;
    this.selected = i;
    place(i);
    this.changed(`Response ${letter(i)} moved`);
  }
}

function allowDrop(e) { e.preventDefault(); e.currentTarget.classList.add('over'); }
function leave(e) { e.currentTarget.classList.remove('over'); }
