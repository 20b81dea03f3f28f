// escwatch dashboard: renders every page from the JSON API (/api/...). Vanilla ES2020, no build step,
// nothing fetched from outside this server.
//
// SAFETY RULE: text that comes from reports, outlets, stories or the API (titles, sentences, names...) is
// only ever inserted with textContent / createTextNode / setAttribute, through el() and svg() below.
// This file never assigns innerHTML / outerHTML and never calls insertAdjacentHTML or eval.
'use strict';

(() => {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const TOKEN_KEY = 'escwatch.token';
  const MODALITIES = ['asserted', 'reported', 'hedged', 'speculative', 'denied'];
  const GRADES = ['A', 'B', 'C', 'D', 'E', 'F'];
  const GRADE_NAMES = {
    A: 'completely reliable', B: 'usually reliable', C: 'fairly reliable', D: 'not usually reliable',
    E: 'unreliable', F: 'reliability cannot be judged',
  };

  // ---------------------------------------------------------------- DOM helpers (text-only by design)

  function append(node, kids) {
    for (const kid of kids) {
      if (kid === null || kid === undefined || kid === false) continue;
      if (Array.isArray(kid)) append(node, kid);
      else if (kid instanceof Node) node.appendChild(kid);
      else node.appendChild(document.createTextNode(String(kid)));
    }
    return node;
  }

  function setAttrs(node, attrs) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
      else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else if (key === 'style' || key === 'innerHTML' || key === 'srcdoc') throw new Error(`refusing attribute ${key}`);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    return node;
  }

  /** An HTML element; string children become text nodes, never markup. */
  function el(tag, attrs, ...kids) {
    return append(setAttrs(document.createElement(tag), attrs), kids);
  }

  /** Replace a node's children; like append(), null/false are skipped (DOM replaceChildren would print "null"). */
  function fill(node, ...kids) {
    node.replaceChildren();
    return append(node, kids);
  }

  /** An SVG element; same rules as el(). */
  function svg(tag, attrs, ...kids) {
    return append(setAttrs(document.createElementNS(SVGNS, tag), attrs), kids);
  }

  /** Only http(s) URLs and same-site paths become links; anything else (javascript:, data:) does not. */
  function safeUrl(url) {
    if (typeof url !== 'string' || !url) return null;
    if (url.startsWith('/') && !url.startsWith('//')) return url;
    try {
      const u = new URL(url);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(href, text, attrs) {
    return el('a', Object.assign({ href }, attrs || {}), text);
  }

  function storyLink(id, text) {
    return link(`/stories/${encodeURIComponent(id)}`, text || shortId(id));
  }

  function reportLink(id, text) {
    return link(`/reports/${encodeURIComponent(id)}`, text || shortId(id));
  }

  function shortId(id) {
    const s = String(id ?? '');
    return s.length > 12 ? s.slice(0, 10) + '…' : s;
  }

  const pct = (p) => (typeof p === 'number' ? `${Math.round(p * 100)}%` : '–');
  const num = (v, d = 2) => (typeof v === 'number' ? v.toFixed(d) : '–');
  const day = (iso) => (typeof iso === 'string' ? iso.slice(0, 10) : '–');
  const when = (iso) => (typeof iso === 'string' ? iso.replace('T', ' ').slice(0, 16) : 'undated');

  function section(title, ...kids) {
    return el('section', { class: 'card' }, el('h2', null, title), ...kids);
  }

  function table(headers, rows, attrs) {
    return el('table', attrs || null,
      el('thead', null, el('tr', null, headers.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', null, rows));
  }

  function empty(text) {
    return el('p', { class: 'empty' }, text);
  }

  function errorBox(err) {
    const box = el('div', { class: 'error', role: 'alert' }, el('strong', null, 'Error: '), err.message || String(err));
    if (err.hint) append(box, [el('br'), el('span', { class: 'hint' }, `Hint: ${err.hint}`)]);
    return box;
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(message, status, code, hint) {
      super(message);
      this.status = status;
      this.code = code;
      this.hint = hint;
    }
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  async function api(path, options) {
    const opts = Object.assign({ credentials: 'same-origin' }, options || {});
    opts.headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new ApiError(`cannot reach the escwatch server (${e.message})`, 0, 'network', 'is `escwatch serve` running?');
    }
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      body = null;
    }
    if (!res.ok) {
      const e = (body && body.error) || {};
      let message = e.message || (body && typeof body.detail === 'string' ? body.detail : `HTTP ${res.status}`);
      if (!e.message && body && Array.isArray(body.detail)) message = body.detail.map((d) => d.msg).join('; ');
      throw new ApiError(message, res.status, e.code || String(res.status), e.hint);
    }
    return body;
  }

  const cache = new Map();
  function cached(path) {
    if (!cache.has(path)) {
      const p = api(path);
      p.catch(() => cache.delete(path));
      cache.set(path, p);
    }
    return cache.get(path);
  }

  /** Every page of a paginated endpoint (bounded), concatenated. */
  async function allPages(path, params, size = 100, maxPages = 20) {
    const items = [];
    let total = 0;
    for (let page = 1; page <= maxPages; page++) {
      const res = await api(path + query(Object.assign({}, params, { page, size })));
      items.push(...(res.items || []));
      total = res.total ?? items.length;
      if (!res.items || res.items.length === 0 || items.length >= total) break;
    }
    return { items, total };
  }

  async function postAction(action, payload) {
    const token = sessionStorage.getItem(TOKEN_KEY) || '';
    const { csrf } = await api('/api/csrf');
    const headers = { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' };
    if (token) headers.Authorization = `Bearer ${token}`;
    return api(`/api/actions/${action}`, { method: 'POST', headers, body: JSON.stringify(payload) });
  }

  // ---------------------------------------------------------------- small widgets

  function pager(page, size, total, go) {
    const pages = Math.max(1, Math.ceil((total || 0) / size));
    return el('nav', { class: 'pager', 'aria-label': 'Pages' },
      el('button', { type: 'button', class: 'prev', disabled: page <= 1, onclick: () => go(page - 1) }, '‹ Previous'),
      el('span', { class: 'pageinfo' }, `page ${page} of ${pages} · ${total} in all`),
      el('button', { type: 'button', class: 'next', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next ›'));
  }

  function field(label, control, attrs) {
    return el('label', Object.assign({ class: 'field' }, attrs || {}), el('span', null, label), control);
  }

  function select(name, options, value, attrs) {
    const s = el('select', Object.assign({ name }, attrs || {}));
    for (const opt of options) {
      const [v, text] = Array.isArray(opt) ? opt : [opt, opt];
      const o = el('option', { value: v }, text);
      if (String(v) === String(value ?? '')) o.selected = true;
      s.appendChild(o);
    }
    return s;
  }

  function tokenField() {
    const input = el('input', {
      type: 'password', name: 'token', autocomplete: 'off', class: 'token',
      placeholder: 'analyst token (kept in this tab only)',
    });
    input.value = sessionStorage.getItem(TOKEN_KEY) || '';
    input.addEventListener('change', () => {
      if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value);
      else sessionStorage.removeItem(TOKEN_KEY);
    });
    return field('Analyst token', input);
  }

  /** A form that posts one analyst action and shows the server's answer (or its JSON error). */
  function actionForm(title, action, controls, payloadOf, attrs) {
    const status = el('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const form = el('form', Object.assign({ class: 'action' }, attrs || {}), el('h3', null, title), controls,
      el('button', { type: 'submit' }, title), status);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const tok = document.querySelector('input.token');
      if (tok) {
        if (tok.value) sessionStorage.setItem(TOKEN_KEY, tok.value);
        else sessionStorage.removeItem(TOKEN_KEY);
      }
      fill(status, el('span', null, 'Sending…'));
      try {
        const res = await postAction(action, payloadOf(new FormData(form)));
        const done = (res && res.action) || res || {};
        fill(status, el('p', { class: 'ok' }, 'Saved', done.id ? ` (action #${done.id}` : '',
          done.id && done.actor ? ` by ${done.actor}` : '', done.id ? ').' : '.'));
      } catch (err) {
        fill(status, errorBox(err));
      }
    });
    return form;
  }

  // ---------------------------------------------------------------- charts (SVG)

  const toMs = (iso) => Date.parse(`${day(iso)}T00:00:00Z`);

  /**
   * A time chart: series = [{label, cls, values:[number|null]}] over days (ISO strings).
   * onPick(i, pinned) is called when a day is hovered (pinned=false) or clicked/activated (pinned=true).
   */
  function timeChart({ days, series, yMax, yFormat, label, onPick, height }) {
    const W = 900;
    const H = height || 260;
    const m = { l: 52, r: 16, t: 14, b: 30 };
    const t0 = toMs(days[0]);
    const t1 = toMs(days[days.length - 1]);
    const span = Math.max(t1 - t0, 1);
    const x = (i) => (days.length === 1 ? (m.l + W - m.r) / 2 : m.l + ((toMs(days[i]) - t0) / span) * (W - m.l - m.r));
    const top = yMax > 0 ? yMax : 1;
    const y = (v) => m.t + (1 - v / top) * (H - m.t - m.b);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label });
    root.appendChild(svg('title', null, label));
    const grid = svg('g', { class: 'grid' });
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      grid.appendChild(svg('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
      grid.appendChild(svg('text', { x: m.l - 6, y: y(v) + 4, class: 'ylab' }, yFormat(v)));
    }
    const step = Math.max(1, Math.ceil(days.length / 8));
    for (let i = 0; i < days.length; i += step) {
      grid.appendChild(svg('text', { x: x(i), y: H - 8, class: 'xlab' }, day(days[i]).slice(5)));
    }
    root.appendChild(grid);
    series.forEach((s, si) => {
      const g = svg('g', { class: ['series', s.cls || `series-${si}`] });
      let d = '';
      s.values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        d += `${d && s.values[i - 1] !== null && s.values[i - 1] !== undefined ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      });
      g.appendChild(svg('path', { d, class: 'line' }));
      s.values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        const c = svg('circle', {
          cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.5, class: 'pt', 'data-day': day(days[i]),
          tabindex: si === 0 ? 0 : null, 'aria-label': `${day(days[i])}: ${s.label} ${yFormat(v)}`,
        }, svg('title', null, `${day(days[i])} · ${s.label}: ${yFormat(v)}`));
        if (si === 0) {
          c.addEventListener('focus', () => pick(i, false));
          c.addEventListener('keydown', (ev) => {
            if (ev.key === 'Enter' || ev.key === ' ') {
              ev.preventDefault();
              pick(i, true);
            }
          });
        }
        g.appendChild(c);
      });
      root.appendChild(g);
    });
    const guide = svg('line', { class: 'guide', x1: 0, x2: 0, y1: m.t, y2: H - m.b, visibility: 'hidden' });
    root.appendChild(guide);
    const overlay = svg('rect', { class: 'overlay', x: m.l, y: m.t, width: W - m.l - m.r, height: H - m.t - m.b });
    root.appendChild(overlay);

    const nearest = (ev) => {
      const ctm = root.getScreenCTM();
      if (!ctm) return 0;
      const pt = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(ctm.inverse());
      let best = 0;
      days.forEach((_, i) => {
        if (Math.abs(x(i) - pt.x) < Math.abs(x(best) - pt.x)) best = i;
      });
      return best;
    };
    function pick(i, pinned) {
      guide.setAttribute('x1', x(i));
      guide.setAttribute('x2', x(i));
      guide.setAttribute('visibility', 'visible');
      if (onPick) onPick(i, pinned, x(i) / W);
    }
    overlay.addEventListener('mousemove', (ev) => pick(nearest(ev), false));
    overlay.addEventListener('click', (ev) => pick(nearest(ev), true));
    overlay.addEventListener('mouseleave', () => {
      guide.setAttribute('visibility', 'hidden');
      if (onPick) onPick(-1, false, 0);
    });
    return root;
  }

  function legend(items) {
    return el('ul', { class: 'legend' }, items.map(([cls, text]) =>
      el('li', null, svg('svg', { viewBox: '0 0 12 12', class: ['swatch', cls], 'aria-hidden': 'true' },
        svg('rect', { x: 0, y: 0, width: 12, height: 12 })), text)));
  }

  // ---------------------------------------------------------------- overview

  function contributionsTable(explain, labels, limit) {
    const rows = [...(explain.contributions || [])].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
    const shown = limit ? rows.slice(0, limit) : rows;
    if (!shown.length) return empty('No contribution on this day.');
    return table(['value', 'indicator', 'grade', 'story', 'weight × reliability × credibility × baseline × decay', 'evidence'],
      shown.map((c) => {
        const o = (explain.observations || {})[c.observation] || {};
        const s = (o.supports || [])[0];
        return el('tr', null,
          el('td', { class: 'num' }, (c.value >= 0 ? '+' : '') + num(c.value, 3)),
          el('td', null, c.indicator),
          el('td', null, c.grade || '–'),
          el('td', null, c.story ? storyLink(c.story) : '–'),
          el('td', { class: 'formula' }, `${c.weight} × ${num(c.reliability)} × ${num(c.credibility)} × ${num(c.baseline)} × ${num(c.decay)}`),
          el('td', { class: 'evidence' }, s ? [el('q', null, s.sentence), ' — ', reportLink(s.report_id, s.outlet || 'report'),
            (o.supports || []).length > 1 ? ` (+${o.supports.length - 1} more)` : ''] : '–'));
      }));
  }

  async function pageOverview(main) {
    const data = await api('/api/overview');
    const labels = data.hypotheses || {};
    const hyps = Object.keys(labels);
    const index = [...(data.index || [])].sort((a, b) => (a.day < b.day ? -1 : 1));
    const h1 = el('h1', null, 'Escalation overview');
    fill(main, h1);
    if (!index.length) {
      main.appendChild(empty('Nothing assessed yet: ingest reports (escwatch ingest FILES or escwatch demo).'));
    } else {
      const days = index.map((d) => d.day);
      const tip = el('div', { class: 'tooltip', role: 'status', hidden: true });
      const panel = el('div', { class: 'explain', 'aria-live': 'polite' });
      let pinned = null;
      let want = null;
      const showDay = async (i, pin) => {
        const d = index[i];
        want = d.day;
        if (pin) pinned = d.day;
        const leader = Object.entries(d.posteriors || {}).sort((a, b) => b[1] - a[1])[0];
        fill(tip, el('strong', null, day(d.day)), el('div', null, `index ${num(d.value)}`),
          leader ? el('div', null, `leading: ${labels[leader[0]] || leader[0]} ${pct(leader[1])}`) : null,
          el('div', { class: 'muted' }, 'loading contributions…'));
        try {
          const ex = await cached(`/api/explain/${encodeURIComponent(day(d.day))}`);
          if (want !== d.day) return;
          const top = [...(ex.contributions || [])].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, 3);
          tip.lastChild.replaceWith(top.length ? el('ol', { class: 'toplist' }, top.map((c) =>
            el('li', null, `${(c.value >= 0 ? '+' : '') + num(c.value, 3)} ${c.indicator} [${c.grade || '?'}]`)))
            : el('div', { class: 'muted' }, 'no contribution'));
          if (pin || pinned === d.day) {
            fill(panel, el('h3', null, `Why the index is ${num(ex.index)} on ${day(ex.day)}`),
              el('p', { class: 'muted' }, 'Each contribution = indicator weight × source reliability × credibility × baseline × decay.'),
              contributionsTable(ex, labels));
          }
        } catch (err) {
          if (want === d.day) tip.lastChild.replaceWith(el('div', { class: 'error' }, err.message));
          if (pin) fill(panel, errorBox(err));
        }
      };
      const onPick = (i, pin, fx) => {
        if (i < 0) {
          tip.hidden = true;
          return;
        }
        tip.hidden = false;
        tip.style.left = `${(fx * 100).toFixed(2)}%`; // CSSOM, which the CSP allows (no style attribute in markup)
        tip.classList.toggle('flip', fx > 0.5);
        showDay(i, pin);
      };
      const peak = index.reduce((b, d, i) => (d.value > index[b].value ? i : b), 0);
      const indexChart = timeChart({
        days, label: 'Escalation index per day', yFormat: (v) => v.toFixed(1), onPick,
        yMax: Math.max(...index.map((d) => d.value)) * 1.1,
        series: [{ label: 'index', cls: 'series-index', values: index.map((d) => d.value) }],
      });
      main.appendChild(section('Escalation index',
        el('p', { class: 'muted' }, 'Hover a day for its top contributions; click it for the full explanation.'),
        el('div', { class: 'chartwrap', id: 'index-chart' }, indexChart, tip), panel));
      showDay(peak, true);
      tip.hidden = true;

      const postChart = timeChart({
        days, label: 'Probability of each hypothesis per day', yMax: 1, yFormat: pct, height: 220,
        series: hyps.map((h, k) => ({ label: labels[h], cls: `series-${k}`, values: index.map((d) => (d.posteriors || {})[h] ?? null) })),
      });
      main.appendChild(section('Hypotheses over time', el('div', { class: 'chartwrap', id: 'posterior-chart' }, postChart),
        legend(hyps.map((h, k) => [`series-${k}`, labels[h]])), el('p', null, link('/hypotheses', 'Competing hypotheses matrix ›'))));
    }

    const alerts = [...(data.alerts || [])].sort((a, b) => (String(b.day) > String(a.day) ? 1 : -1)).slice(0, 10);
    main.appendChild(section('Latest alerts', alerts.length ? el('ul', { class: 'alerts' }, alerts.map((a) =>
      el('li', { class: ['alert', `kind-${String(a.kind || 'alert').replace(/[^a-z0-9_-]/gi, '')}`] },
        el('div', { class: 'alert-head' }, el('span', { class: 'badge' }, a.kind || a.rule || 'alert'), ' ',
          el('time', null, day(a.day)), ' ', el('strong', null, a.title)),
        a.body ? el('p', { class: 'body' }, a.body) : null,
        (a.deliveries || []).length ? el('p', { class: 'muted' }, 'delivered: ',
          a.deliveries.map((d) => (typeof d === 'object' ? `${d.channel || ''} ${d.status || ''}`.trim() : String(d))).join(', ')) : null)))
      : empty('No alert.')));

    const stories = [...(data.stories || [])].sort((a, b) => (b.size || 0) - (a.size || 0)).slice(0, 10);
    main.appendChild(section('Most active stories', stories.length ? storiesTable(stories) : empty('No story yet.'),
      el('p', null, link('/stories', 'All stories ›'))));
  }

  function origins(v) {
    if (Array.isArray(v)) {
      return v.map((o) => (o && typeof o === 'object' ? o.label || o.owner || o.node : String(o))).join(', ') || '–';
    }
    return v === null || v === undefined ? '–' : String(v);
  }

  function storiesTable(rows) {
    return table(['story', 'reports', 'languages', 'first seen', 'last seen', 'independent origins'], rows.map((s) =>
      el('tr', null,
        el('td', null, storyLink(s.id, s.title || s.id)),
        el('td', { class: 'num' }, s.size ?? '–'),
        el('td', null, Array.isArray(s.languages) ? s.languages.join(', ') : String(s.languages ?? '–')),
        el('td', { class: 'date' }, day(s.first_seen)),
        el('td', { class: 'date' }, day(s.last_seen)),
        el('td', null, origins(s.independent_origins)))), { class: 'stories' });
  }

  // ---------------------------------------------------------------- map

  const MAP_W = 960;
  const MAP_H = 480;
  const project = (lon, lat) => [((lon + 180) / 360) * MAP_W, ((90 - lat) / 180) * MAP_H];

  function ringPath(ring) {
    let d = '';
    ring.forEach(([lon, lat], i) => {
      const [px, py] = project(lon, lat);
      d += `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
    });
    return `${d}Z`;
  }

  function geometryPath(geom) {
    if (!geom) return '';
    const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
    return polys.map((poly) => poly.map(ringPath).join('')).join('');
  }

  function placeOf(p) {
    if (Array.isArray(p)) return { name: p[0], country: p[1], lat: p[2], lon: p[3] };
    return p && typeof p === 'object' ? { name: p.name, country: p.country, lat: p.lat, lon: p.lon } : null;
  }

  async function pageMap(main) {
    const params = new URLSearchParams(location.search);
    const h1 = el('h1', null, 'Map of observations');
    const [world, storyList, allObs] = await Promise.all([
      cached('/static/world-110m.json'),
      allPages('/api/stories', {}, 100, 5).catch(() => ({ items: [] })),
      allPages('/api/observations', {}),
    ]);
    const indicators = [...new Set(allObs.items.map((o) => o.indicator))].sort();
    const colour = (ind) => `ind-${Math.max(0, indicators.indexOf(ind)) % 8}`;

    const form = el('form', { class: 'filters', id: 'map-filters' },
      field('Indicator', select('indicator', [['', 'all indicators'], ...indicators], params.get('indicator'))),
      field('Story', select('story', [['', 'all stories'], ...storyList.items.map((s) => [s.id, (s.title || s.id).slice(0, 70)])], params.get('story'))),
      field('From', el('input', { type: 'date', name: 'from', value: params.get('from') || '' })),
      field('To', el('input', { type: 'date', name: 'to', value: params.get('to') || '' })),
      el('button', { type: 'submit' }, 'Apply'));

    const [, top] = project(0, 84);
    const [, bottom] = project(0, -58); // Antarctica left out of the frame
    const root = svg('svg', { viewBox: `0 ${top} ${MAP_W} ${bottom - top}`, class: 'map', role: 'img', 'aria-label': 'World map of observations' },
      svg('title', null, 'World map: observations at the places their reports name'),
      svg('rect', { class: 'sea', x: 0, y: 0, width: MAP_W, height: MAP_H }));
    const grat = svg('g', { class: 'graticule' });
    for (let lon = -150; lon <= 150; lon += 30) {
      const [gx] = project(lon, 0);
      grat.appendChild(svg('line', { x1: gx, x2: gx, y1: 0, y2: MAP_H }));
    }
    for (let lat = -60; lat <= 60; lat += 30) {
      const [, gy] = project(0, lat);
      grat.appendChild(svg('line', { x1: 0, x2: MAP_W, y1: gy, y2: gy }));
    }
    root.appendChild(grat);
    const land = svg('g', { class: 'land' });
    for (const f of world.features || []) {
      const props = f.properties || {};
      land.appendChild(svg('path', { d: geometryPath(f.geometry), class: 'country', 'data-iso': props.iso_a3 || '' },
        svg('title', null, props.name || '')));
    }
    root.appendChild(land);
    const dots = svg('g', { class: 'dots' });
    root.appendChild(dots);

    const summary = el('p', { class: 'summary', role: 'status', 'aria-live': 'polite' });
    const detail = el('div', { class: 'detail' }, empty('Click a circle to see the observation behind it.'));
    const legendBox = el('div', { class: 'maplegend' }, legend(indicators.map((ind) => [colour(ind), ind])));
    fill(main, h1, form, summary, el('div', { class: 'mapwrap' }, root), legendBox, section('Observation', detail),
      el('p', { class: 'muted small' }, 'Country outlines: Natural Earth 1:110m (public domain), served from this installation.'));

    const showDetail = (o, place) => {
      fill(detail,
        el('p', null, el('strong', null, o.indicator), ` · first seen ${day(o.day)} · story `, o.story_id ? storyLink(o.story_id) : '–',
          ` · reliability ${o.reliability ?? '?'} · credibility ${o.credibility ?? '?'}`),
        el('p', null, `Place: ${place.name || '?'}${place.country ? ` (${place.country})` : ''}`),
        el('ul', { class: 'supports' }, (o.supports || []).slice(0, 6).map((s) =>
          el('li', null, el('q', null, s.sentence), ' — ', reportLink(s.report_id, s.outlet || 'report'),
            ` (${s.language || '?'}, ${day(s.published)}, ${s.modality || '?'})`))));
    };

    const draw = (items) => {
      fill(dots);
      let placed = 0;
      let without = 0;
      for (const o of items) {
        const seen = new Set();
        const places = Array.isArray(o.places) ? o.places : (o.supports || []).flatMap((s) => s.places || []);
        {
          for (const raw of places) {
            const p = placeOf(raw);
            if (!p || typeof p.lat !== 'number' || typeof p.lon !== 'number') continue;
            const key = `${p.lat.toFixed(2)},${p.lon.toFixed(2)}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const [cx, cy] = project(p.lon, p.lat);
            const r = 3 + Math.min(6, Math.sqrt((o.supports || []).length) * 1.5);
            const c = svg('circle', {
              cx: cx.toFixed(1), cy: cy.toFixed(1), r: r.toFixed(1), class: ['obs', colour(o.indicator)], tabindex: 0,
              'data-observation': o.id, 'aria-label': `${o.indicator} at ${p.name || '?'}`,
            }, svg('title', null, `${o.indicator} · ${p.name || '?'} · ${day(o.day)}`));
            c.addEventListener('click', () => showDetail(o, p));
            c.addEventListener('keydown', (ev) => {
              if (ev.key === 'Enter') showDetail(o, p);
            });
            dots.appendChild(c);
          }
        }
        if (seen.size) placed += 1;
        else without += 1;
      }
      // big circles first, so small ones stay clickable on top of them
      [...dots.children].sort((a, b) => Number(b.getAttribute('r')) - Number(a.getAttribute('r')))
        .forEach((c) => dots.appendChild(c));
      const n = dots.childElementCount;
      summary.textContent = `${items.length} observation${items.length === 1 ? '' : 's'} (${placed} with a place, `
        + `${without} without): ${n} circle${n === 1 ? '' : 's'} at the places their reports name.`;
    };

    const apply = async () => {
      const fd = new FormData(form);
      const filters = { indicator: fd.get('indicator'), story: fd.get('story'), from: fd.get('from'), to: fd.get('to') };
      history.replaceState(null, '', location.pathname + query(filters));
      summary.textContent = 'Loading…';
      try {
        const any = Object.values(filters).some(Boolean);
        draw(any ? (await allPages('/api/observations', filters)).items : allObs.items);
      } catch (err) {
        fill(summary, errorBox(err));
      }
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      apply();
    });
    form.querySelectorAll('select').forEach((s) => s.addEventListener('change', apply));
    if ([...params.values()].some(Boolean)) await apply();
    else draw(allObs.items);
  }

  // ---------------------------------------------------------------- stories

  async function pageStories(main) {
    const params = new URLSearchParams(location.search);
    const size = 25;
    const render = async (page) => {
      const data = await api('/api/stories' + query({ page, size }));
      const list = el('div', { id: 'story-list' }, data.items && data.items.length ? storiesTable(data.items) : empty('No story yet.'),
        pager(data.page || page, data.size || size, data.total || 0, (p) => {
          history.pushState(null, '', `?page=${p}`);
          render(p).catch((err) => main.appendChild(errorBox(err)));
        }));
      fill(main, el('h1', null, 'Stories'),
        el('p', { class: 'muted' }, 'Reports about the same event, grouped across languages; independent origins are where their attribution chains end.'),
        list);
    };
    window.addEventListener('popstate', () => render(Number(new URLSearchParams(location.search).get('page')) || 1));
    await render(Number(params.get('page')) || 1);
  }

  function graphSvg(graph) {
    const nodes = graph.nodes || {};
    const ids = Object.keys(nodes);
    if (!ids.length) return empty('No provenance graph.');
    const reports = ids.filter((id) => (nodes[id].kind || '') === 'report')
      .sort((a, b) => String(nodes[a].published || '').localeCompare(String(nodes[b].published || '')));
    const others = ids.filter((id) => (nodes[id].kind || '') !== 'report').sort();
    const rowH = 34;
    const W = 900;
    const colX = [90, 560];
    const boxW = 320;
    const rows = Math.max(reports.length, others.length, 1);
    const H = rows * rowH + 30;
    const pos = {};
    reports.forEach((id, i) => { pos[id] = { x: colX[0], y: 20 + i * rowH, col: 0 }; });
    others.forEach((id, i) => { pos[id] = { x: colX[1], y: 20 + i * rowH + ((rows - others.length) * rowH) / 2, col: 1 }; });
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'graph', role: 'img', 'aria-label': 'Provenance graph: reports (left) and the sources they rest on (right)' },
      svg('title', null, 'Provenance graph'),
      svg('defs', null, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0L10,5L0,10z', class: 'arrowhead' }))));
    const edgesG = svg('g', { class: 'edges' });
    const anchor = (id, side) => {
      const p = pos[id];
      return [side === 'right' ? p.x + boxW : p.x, p.y + 12];
    };
    (graph.edges || []).forEach((e) => {
      if (!pos[e.src] || !pos[e.dst]) return;
      const a = pos[e.src];
      const b = pos[e.dst];
      let d;
      let lx;
      let ly;
      if (a.col === b.col) { // within a column: an arc on its outer side
        const side = a.col === 0 ? 'left' : 'right';
        const [x1, y1] = anchor(e.src, side);
        const [x2, y2] = anchor(e.dst, side);
        const bulge = (side === 'left' ? -1 : 1) * (16 + Math.abs(y2 - y1) / 6);
        d = `M${x1},${y1} C${x1 + bulge},${y1} ${x2 + bulge},${y2} ${x2},${y2}`;
        lx = x1 + bulge * 0.8;
        ly = (y1 + y2) / 2;
      } else {
        const [x1, y1] = anchor(e.src, a.col === 0 ? 'right' : 'left');
        const [x2, y2] = anchor(e.dst, b.col === 0 ? 'right' : 'left');
        const mx = (x1 + x2) / 2;
        d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        lx = x1 + (x2 > x1 ? 34 : -34); // by its source, where edges are still apart
        ly = y1 - 3;
      }
      edgesG.appendChild(svg('g', { class: ['edge', `edge-${String(e.kind || '').replace(/[^a-z_]/gi, '')}`] },
        svg('path', { d, 'marker-end': 'url(#arrow)' }),
        svg('text', { x: lx.toFixed(1), y: ly.toFixed(1), class: 'edgelabel' }, e.kind || ''),
        svg('title', null, `${nodes[e.src].label || e.src} —${e.kind}→ ${nodes[e.dst].label || e.dst}`)));
    });
    root.appendChild(edgesG);
    const nodesG = svg('g', { class: 'nodes' });
    for (const id of ids) {
      const n = nodes[id];
      const p = pos[id];
      const labelText = String(n.label || id).replace(/^(?:[A-Za-z]:)?[\\/](?:[^\s()]*[\\/])?([^\\/\s()]+)/, '$1');
      const g = svg('g', { class: ['node', `kind-${String(n.kind || 'source').replace(/[^a-z_]/gi, '')}`], transform: `translate(${p.x},${p.y})` },
        svg('rect', { width: boxW, height: 24, rx: n.kind === 'report' ? 3 : 12 }),
        svg('text', { x: 8, y: 16 }, labelText.length > 46 ? labelText.slice(0, 45) + '…' : labelText),
        svg('title', null, `${n.kind || 'node'}: ${labelText}`));
      if (n.kind === 'report' && id.startsWith('report:')) {
        const a = svg('a', { href: `/reports/${encodeURIComponent(id.slice(7))}` });
        a.appendChild(g);
        nodesG.appendChild(a);
      } else {
        nodesG.appendChild(g);
      }
    }
    root.appendChild(nodesG);
    return root;
  }

  function observationsTable(rows) {
    if (!rows || !rows.length) return empty('No observation.');
    return table(['indicator', 'first seen', 'reliability', 'credibility', 'origins', 'supporting sentences'], rows.map((o) =>
      el('tr', null,
        el('td', null, o.indicator),
        el('td', { class: 'date' }, day(o.day)),
        el('td', null, o.reliability ?? '–'),
        el('td', null, o.credibility ?? '–', o.credibility_reason ? el('div', { class: 'muted small' }, o.credibility_reason) : null),
        el('td', null, (o.origins || []).join(', ') || '–'),
        el('td', null, el('ul', { class: 'supports' }, (o.supports || []).slice(0, 4).map((s) =>
          el('li', null, el('q', null, s.sentence), ' — ', reportLink(s.report_id, s.outlet || 'report'),
            ` (${s.language || '?'}, ${s.modality || '?'})`)))))), { class: 'observations' });
  }

  function gradeSources(graph, members) {
    const out = new Map();
    for (const [id, n] of Object.entries(graph.nodes || {})) {
      if (id.startsWith('outlet:')) out.set(id.slice(7), `${n.label || id} (outlet)`);
      else if (id.startsWith('source:')) out.set(n.label || id.slice(7), `${n.label || id} (${n.kind || 'source'})`);
    }
    for (const m of members) if (m.outlet && !out.has(m.outlet)) out.set(m.outlet, `${m.outlet} (outlet)`);
    return [...out.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  }

  async function pageStory(main) {
    const id = decodeURIComponent(location.pathname.split('/')[2] || '');
    const data = await api(`/api/stories/${encodeURIComponent(id)}`);
    const s = data.story || {};
    const members = [...(data.members || [])].sort((a, b) => String(a.published || '~').localeCompare(String(b.published || '~')));
    document.title = `${s.title || 'Story'} · escwatch`;
    const sources = gradeSources(data.graph || {}, members);
    const listId = 'grade-sources';
    const gradeForm = actionForm('Override a source grade', 'grade', [
      tokenField(),
      field('Source', el('input', { name: 'source', required: true, list: listId, autocomplete: 'off' })),
      el('datalist', { id: listId }, sources.map(([v, text]) => el('option', { value: v }, text))),
      field('Reliability', select('reliability', GRADES.map((g) => [g, `${g} — ${GRADE_NAMES[g]}`]), 'C')),
      field('Note', el('input', { name: 'note', type: 'text' })),
    ], (fd) => ({ source: fd.get('source'), reliability: fd.get('reliability'), note: fd.get('note') || null }), { id: 'grade-form' });

    fill(main,
      el('p', { class: 'crumbs' }, link('/stories', 'Stories'), ' › ', shortId(s.id || id)),
      el('h1', null, s.title || 'Story'),
      el('dl', { class: 'meta' },
        el('dt', null, 'reports'), el('dd', null, String(s.size ?? members.length)),
        el('dt', null, 'languages'), el('dd', null, Array.isArray(s.languages) ? s.languages.join(', ') : String(s.languages ?? '–')),
        el('dt', null, 'first seen'), el('dd', null, when(s.first_seen)),
        el('dt', null, 'last seen'), el('dd', null, when(s.last_seen)),
        el('dt', null, 'independent origins'), el('dd', null, origins(s.independent_origins))),
      section('Members in time order', table(['published', 'language', 'outlet', 'title', 'original'], members.map((m) =>
        el('tr', null,
          el('td', { class: 'date' }, when(m.published)),
          el('td', null, m.language || '?'),
          el('td', null, m.outlet || '–'),
          el('td', null, reportLink(m.id, m.title || m.id)),
          el('td', null, safeUrl(m.url) ? link(safeUrl(m.url), 'source ↗', { rel: 'noopener noreferrer nofollow', target: '_blank' }) : '–'))),
      { class: 'members' })),
      section('Provenance', el('p', { class: 'muted' }, 'Reports on the left, the sources they rest on on the right; arrows are labelled by kind.'),
        el('div', { class: 'graphwrap' }, graphSvg(data.graph || {}))),
      section('Observations from this story', observationsTable(data.observations)),
      section('Analyst', gradeForm));
  }

  // ---------------------------------------------------------------- report

  /** Character (code point) offsets into an array of code points, as the server counts them. */
  function annotations(rec) {
    const spans = [];
    const add = (start, end, kind, cls, note) => {
      if (typeof start !== 'number' || typeof end !== 'number' || end <= start) return;
      spans.push({ start, end, kind, cls, note });
    };
    const mentionsOf = (item) => (Array.isArray(item.mentions) && item.mentions.length ? item.mentions : [item]);
    for (const e of rec.entities || []) {
      for (const m of mentionsOf(e)) add(m.start, m.end, 'entity', `hl-entity type-${String(e.type || 'other').replace(/[^a-z_]/gi, '')}`, `${e.type || 'entity'}: ${e.name || m.text || ''}`);
    }
    for (const p of rec.places || []) {
      for (const m of mentionsOf(p)) add(m.start, m.end, 'place', 'hl-place', `place: ${p.name || m.text || ''}${p.country ? ` (${p.country})` : ''}`);
    }
    for (const q of rec.quotes || []) add(q.start, q.end, 'quote', 'hl-quote', `quote${q.speaker ? ` of ${q.speaker}` : ''}`);
    for (const c of rec.claims || []) {
      const mod = MODALITIES.includes(c.modality) ? c.modality : 'asserted';
      add(c.start, c.end, 'claim', `hl-claim mod-${mod}`, `claim (${mod})`);
    }
    for (const h of rec.indicators || []) add(h.start, h.end, 'indicator', 'hl-indicator', `indicator: ${h.id}`);
    return spans;
  }

  // Where spans of one kind overlap, the innermost (shortest) wins; kinds layer with different CSS
  // properties, and when they must compete for the same one the priority below decides.
  const PRIORITY = { indicator: 5, entity: 4, place: 4, quote: 3, claim: 1 };

  function annotatedText(text, spans) {
    const cps = Array.from(text || '');
    const n = cps.length;
    const cuts = new Set([0, n]);
    for (const s of spans) {
      s.start = Math.max(0, Math.min(n, s.start));
      s.end = Math.max(0, Math.min(n, s.end));
      cuts.add(s.start);
      cuts.add(s.end);
    }
    const points = [...cuts].sort((a, b) => a - b);
    const out = el('div', { class: 'annotated', id: 'report-text' });
    let prevKey = null;
    let prevNode = null;
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i];
      const b = points[i + 1];
      if (b <= a) continue;
      const chunk = cps.slice(a, b).join('');
      const covering = spans.filter((s) => s.start <= a && s.end >= b);
      if (!covering.length) {
        out.appendChild(document.createTextNode(chunk));
        prevKey = null;
        prevNode = null;
        continue;
      }
      const byKind = new Map();
      for (const s of covering) {
        const cur = byKind.get(s.kind);
        if (!cur || s.end - s.start < cur.end - cur.start) byKind.set(s.kind, s);
      }
      const chosen = [...byKind.values()].sort((x, y) => PRIORITY[y.kind] - PRIORITY[x.kind]);
      const key = chosen.map((s) => `${s.kind}:${s.start}:${s.end}`).join('|');
      if (key === prevKey && prevNode) { // the same annotations continue: extend the previous span
        prevNode.appendChild(document.createTextNode(chunk));
        continue;
      }
      prevKey = key;
      prevNode = el('span', {
        class: ['hl', `top-${chosen[0].kind}`, ...chosen.map((s) => s.cls)],
        title: chosen.map((s) => s.note).join(' · '),
      }, chunk);
      out.appendChild(prevNode);
    }
    return out;
  }

  function layerToggles(container) {
    const kinds = [['indicator', 'indicator evidence'], ['entity', 'entities'], ['place', 'places'], ['quote', 'quotes'], ['claim', 'claims (by modality)']];
    return el('fieldset', { class: 'layers' }, el('legend', null, 'Highlight'),
      kinds.map(([k, text]) => {
        const box = el('input', { type: 'checkbox', name: `layer-${k}`, checked: true });
        box.addEventListener('change', () => container.classList.toggle(`hide-${k}`, !box.checked));
        return el('label', { class: ['layer', `layer-${k}`] }, box, ' ', el('span', { class: `key key-${k}` }, text));
      }),
      el('span', { class: 'modkeys' }, MODALITIES.map((m) => el('span', { class: `hl hl-claim mod-${m}` }, m))));
  }

  async function pageReport(main) {
    const id = decodeURIComponent(location.pathname.split('/')[2] || '');
    const rec = await api(`/api/reports/${encodeURIComponent(id)}`);
    document.title = `${rec.title || 'Report'} · escwatch`;
    const text = annotatedText(rec.text || '', annotations(rec));
    const raw = el('pre', { class: 'rawtext', id: 'raw-text', hidden: true }, rec.raw_text ?? '');
    const toggle = el('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', 'aria-controls': 'raw-text' }, 'Show raw text');
    toggle.addEventListener('click', () => {
      const showRaw = raw.hidden;
      raw.hidden = !showRaw;
      text.hidden = showRaw;
      toggle.setAttribute('aria-pressed', String(showRaw));
      toggle.textContent = showRaw ? 'Show analysed text' : 'Show raw text';
    });
    const url = safeUrl(rec.url);
    const list = (title, items, render) => section(title, items && items.length ? el('ul', { class: 'facts' }, items.map(render)) : empty('none'));

    const flagForm = actionForm('Flag as wrong', 'flag', [
      field('What is wrong', el('textarea', { name: 'note', rows: 2 })),
    ], (fd) => ({ target: 'report', id: rec.id || id, note: fd.get('note') || null }), { id: 'flag-form' });
    const noteForm = actionForm('Add a note', 'note', [
      field('Note', el('textarea', { name: 'text', rows: 2, required: true })),
    ], (fd) => ({ target: 'report', id: rec.id || id, text: fd.get('text') }), { id: 'note-form' });

    fill(main,
      el('p', { class: 'crumbs' }, link('/stories', 'Stories'), rec.story ? [' › ', storyLink(rec.story, 'story')] : null, ' › report'),
      el('h1', null, rec.title || '(untitled report)'),
      el('p', { class: 'byline' }, rec.outlet || 'unknown outlet', ` · ${rec.language || '?'} · ${when(rec.published)}`,
        url ? [' · ', link(url, 'original ↗', { rel: 'noopener noreferrer nofollow', target: '_blank' })] : null),
      Array.isArray(rec.flags) && rec.flags.length ? el('ul', { class: 'flags', 'aria-label': 'Analysts\' actions on this report' },
        rec.flags.map((f) => el('li', null, el('span', { class: 'badge' }, f.kind || 'action'), ' ',
          `${f.actor || 'analyst'}, ${when(f.created_at)}`, f.payload && (f.payload.note || f.payload.text)
            ? [': ', el('q', null, f.payload.note || f.payload.text)] : ''))) : null,
      el('div', { class: 'reportgrid' },
        el('article', { class: 'card textcard' }, el('h2', null, 'Text'), layerToggles(text), toggle, text, raw),
        el('aside', { class: 'side' },
          list('Indicators', rec.indicators, (h) => el('li', null, el('strong', null, h.id), h.evidence ? [': ', el('q', null, h.evidence)] : null)),
          list('Claims', rec.claims, (c) => el('li', null, el('span', { class: `badge mod-${MODALITIES.includes(c.modality) ? c.modality : 'asserted'}` }, c.modality || '?'), ' ', c.text)),
          list('Quotes', rec.quotes, (q) => el('li', null, el('q', null, q.text), q.speaker ? ` — ${q.speaker}` : '')),
          list('Entities', rec.entities, (e) => el('li', null, e.name || '?', el('span', { class: 'muted' }, ` (${e.type || '?'})`))),
          list('Places', rec.places, (p) => el('li', null, p.name || '?', el('span', { class: 'muted' }, typeof p.lat === 'number' ? ` (${p.lat.toFixed(2)}, ${p.lon.toFixed(2)})` : ''))),
          list('Cited sources', rec.cited_sources, (c) => el('li', null, typeof c === 'object' ? (c.name || JSON.stringify(c)) : String(c))),
          section('Analyst actions', el('p', { class: 'muted small' }, 'Actions need the token the server was started with.'), tokenField(), flagForm, noteForm))));
  }

  // ---------------------------------------------------------------- hypotheses

  async function pageHypotheses(main) {
    const params = new URLSearchParams(location.search);
    const data = await api('/api/hypotheses' + query({ date: params.get('date') }));
    const labels = data.labels || {};
    const hyps = Object.keys(labels).length ? Object.keys(labels) : Object.keys(data.posteriors || {});
    const dateInput = el('input', { type: 'date', name: 'date', value: day(data.day) });
    const form = el('form', { class: 'filters' }, field('Day', dateInput), el('button', { type: 'submit' }, 'Show'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      location.search = query({ date: dateInput.value });
    });
    const post = data.posteriors || {};
    const bars = el('ul', { class: 'bars' }, hyps.map((h, k) => {
      const p = post[h] || 0;
      return el('li', null, el('span', { class: 'barlabel' }, labels[h] || h),
        svg('svg', { viewBox: '0 0 100 10', class: ['bar', `series-${k}`], preserveAspectRatio: 'none', 'aria-hidden': 'true' },
          svg('rect', { x: 0, y: 0, width: (p * 100).toFixed(1), height: 10 })),
        el('span', { class: 'num' }, pct(p)));
    }));
    const matrix = data.matrix || [];
    const inc = data.inconsistency || {};
    const matrixTable = matrix.length ? table(
      ['observation', 'grade', 'routine window', ...hyps.map((h) => labels[h] || h), 'diagnosticity'],
      [...matrix.map((r) => el('tr', null,
        el('th', { scope: 'row' }, r.indicator, ' ', r.story ? el('span', { class: 'small' }, '(', storyLink(r.story), ')') : null),
        el('td', null, r.grade || '–'),
        el('td', null, r.inside_routine_window ? 'inside' : 'outside'),
        ...hyps.map((h) => {
          const mark = (r.marks || {})[h] || 'N';
          return el('td', { class: ['mark', `mark-${mark.replace(/[^CNI]/g, '')}`], title: `${labels[h] || h}: likelihood ${num((r.likelihoods || {})[h], 3)}` },
            el('strong', null, mark), ' ', el('span', { class: 'muted small' }, num((r.likelihoods || {})[h], 2)));
        }),
        el('td', { class: 'num' }, num(r.diagnosticity, 2)))),
      el('tr', { class: 'inconsistency' }, el('th', { scope: 'row' }, 'inconsistency'), el('td'), el('td'),
        ...hyps.map((h) => el('td', { class: 'num' }, num(typeof inc === 'object' ? inc[h] : null, 2))), el('td'))],
      { class: 'ach' }) : empty('No observation on this day.');
    const disc = data.discriminators || [];
    fill(main, el('h1', null, `Competing hypotheses on ${day(data.day)}`), form,
      section('Probabilities', bars),
      section('ACH matrix', el('p', { class: 'muted' },
        'Marks: CC very consistent, C consistent, N neutral, I inconsistent, II very inconsistent. The least inconsistent hypothesis is the one the evidence hurts least.'),
      el('div', { class: 'scroll' }, matrixTable)),
      section('What would change the picture most', disc.length ? table(['if seen next', 'hypothesis', 'before', 'after', 'shift'], disc.map((x) =>
        el('tr', null, el('td', null, x.indicator), el('td', null, labels[x.hypothesis] || x.hypothesis),
          el('td', { class: 'num' }, pct(x.before)), el('td', { class: 'num' }, pct(x.after)),
          el('td', { class: 'num' }, `${x.shift >= 0 ? '+' : ''}${Math.round((x.shift || 0) * 100)} pts`)))) : empty('None.')));
  }

  // ---------------------------------------------------------------- search

  const FACETS = ['language', 'outlet', 'indicator', 'entity'];

  async function pageSearch(main) {
    const size = 20;
    const state = () => Object.fromEntries(new URLSearchParams(location.search));
    const results = el('div', { id: 'results', 'aria-live': 'polite' });
    const form = el('form', { class: 'filters search', role: 'search', id: 'search-form' });
    fill(main, el('h1', null, 'Search reports'), form, results);

    const run = async () => {
      const st = state();
      const page = Number(st.page) || 1;
      fill(results, el('p', { class: 'loading' }, 'Searching…'));
      let data;
      try {
        data = await api('/api/search' + query(Object.assign({}, st, { page, size })));
      } catch (err) {
        fill(results, errorBox(err));
        return;
      }
      const facets = Object.assign({}, data.facets || {});
      // a chosen facet would only offer itself: list its values as if it were not chosen
      await Promise.all(FACETS.filter((f) => st[f]).map(async (f) => {
        try {
          const wide = await api('/api/search' + query(Object.assign({}, st, { [f]: '', page: 1, size: 1 })));
          facets[f] = (wide.facets || {})[f] || facets[f];
        } catch (_) { /* keep the narrow counts */ }
      }));
      const qInput = el('input', { type: 'search', name: 'q', value: st.q || '', placeholder: 'words, names, places…' });
      const controls = FACETS.map((f) => {
        const counts = facets[f] || {};
        const opts = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([v, n]) => [v, `${v} (${n})`]);
        if (st[f] && !(st[f] in counts)) opts.unshift([st[f], st[f]]);
        return field(f[0].toUpperCase() + f.slice(1), select(f, [['', `any ${f}`], ...opts], st[f], { class: 'facet' }));
      });
      fill(form, field('Query', qInput, { class: 'field wide' }), ...controls,
        field('From', el('input', { type: 'date', name: 'from', value: st.from || '' })),
        field('To', el('input', { type: 'date', name: 'to', value: st.to || '' })),
        el('button', { type: 'submit' }, 'Search'));
      form.querySelectorAll('select.facet').forEach((s) => s.addEventListener('change', () => form.requestSubmit()));
      const items = data.items || [];
      fill(results,
        el('p', { class: 'summary' }, `${data.total ?? items.length} result${data.total === 1 ? '' : 's'}`),
        items.length ? el('ol', { class: 'results', start: (page - 1) * size + 1 }, items.map((r) =>
          el('li', { class: 'result' },
            el('h3', null, reportLink(r.id, r.title || '(untitled)')),
            el('p', { class: 'muted small' }, `${r.outlet || 'unknown outlet'} · `, el('span', { class: 'lang' }, r.language || '?'), ` · ${when(r.published)}`),
            el('p', { class: 'snippet' }, r.snippet || '')))) : empty('No report matches.'),
        pager(data.page || page, data.size || size, data.total || 0, (p) => go(Object.assign(state(), { page: p }))));
    };
    const go = (params) => {
      history.pushState(null, '', location.pathname + query(params));
      run();
    };
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      const params = {};
      for (const [k, v] of fd.entries()) if (v) params[k] = v;
      go(params);
    });
    window.addEventListener('popstate', run);
    await run();
  }

  // ---------------------------------------------------------------- boot

  const PAGES = {
    overview: pageOverview, map: pageMap, stories: pageStories, story: pageStory, report: pageReport,
    hypotheses: pageHypotheses, search: pageSearch,
  };

  async function boot() {
    const main = document.getElementById('main');
    const page = document.body.dataset.page;
    const render = PAGES[page];
    if (!main || !render) return;
    try {
      await render(main);
      document.body.dataset.ready = 'true';
    } catch (err) {
      const loading = main.querySelector('.loading');
      if (loading) loading.remove();
      main.appendChild(errorBox(err));
      document.body.dataset.ready = 'error';
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
