/**
 * A few DOM helpers. Every value from the API goes into the page as text (textContent or an
 * attribute), never as HTML, so nothing an order holds can run in the console.
 */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
}

/** Replaces everything inside `el`. */
export function show(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });

/** An ISO instant as the console shows it (UTC, the API's own zone). */
export function when(iso: string | null | undefined): string {
  return iso ? `${dateTime.format(new Date(iso))} UTC` : '';
}

export function money(m: { amount: string; currencyCode: string } | null | undefined): string {
  return m ? `${m.amount} ${m.currencyCode}` : '';
}

/** A status as a badge whose class carries its colour (console.css). */
export function badge(status: string): HTMLSpanElement {
  return h('span', { class: `badge status-${status.toLowerCase()}`, 'data-status': status }, status.replace(/_/g, ' '));
}

export function table(headers: string[], rows: Child[][], attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))),
  );
}

/** A mutation's userError as a list item: its message, the field it names, its code as data-code. */
export function userErrorItem(u: { code: string; message: string; field: string[] | null }): HTMLLIElement {
  return h('li', { 'data-code': u.code }, u.message, u.field?.length ? h('span', { class: 'muted' }, ` (${u.field.join('.')})`) : null);
}
