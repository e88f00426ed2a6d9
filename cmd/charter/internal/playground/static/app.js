// The charter playground page: an editor that the server checks as the
// author types, the matrix, the decide panel, examples, save and download.
// Plain DOM, no framework, nothing fetched but this server's own API.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const src = $('source');
  const state = {
    name: 'policy.yaml', // the file name positions mention
    canSave: false,
    dirty: false,
    seq: 0,        // the latest check sent; older replies are dropped
    decideSeq: 0,  // the same for decisions
    errors: [],    // the last check's errors
    matrix: null,  // the last matrix drawn
    policyName: '', // the name of the last policy that loaded
    timer: 0,
  };

  async function api(method, url, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(url, opts);
    const reply = await r.json();
    if (!r.ok) throw new Error(reply.error || r.statusText);
    return reply;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- editor: line numbers, error marks, scrolling together ----

  function draw() {
    const lines = src.value.split('\n');
    const byLine = new Map();
    for (const e of state.errors) {
      const n = e.line || 1;
      if (!byLine.has(n)) byLine.set(n, []);
      byLine.get(n).push(e);
    }
    const gutter = $('gutter');
    const marks = $('marks');
    const g = document.createDocumentFragment();
    const m = document.createDocumentFragment();
    lines.forEach((text, i) => {
      const n = i + 1;
      const errs = byLine.get(n);
      const num = el('div', errs ? 'err' : '', String(n));
      num.dataset.line = n;
      const mark = el('div', errs ? 'err' : '');
      mark.dataset.line = n;
      if (errs) {
        const msg = errs.map((e) => e.message).join('; ');
        num.title = msg;
        mark.append(el('span', 'ghost', text), el('span', 'msg', '\u2190 ' + msg));
      }
      g.append(num);
      m.append(mark);
    });
    // Errors past the last line (none expected) stay in the list below.
    gutter.replaceChildren(g);
    marks.replaceChildren(m);
    scroll();
  }

  function scroll() {
    $('gutter').style.transform = `translateY(${-src.scrollTop}px)`;
    $('marks').style.transform = `translate(${-src.scrollLeft}px, ${-src.scrollTop}px)`;
  }

  // goto puts the cursor at line:col and scrolls it into view.
  function goto(line, col) {
    const lines = src.value.split('\n');
    let at = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
    at += Math.max(0, (col || 1) - 1);
    src.focus();
    src.setSelectionRange(at, at);
    const lh = parseFloat(getComputedStyle(src).lineHeight) || 18;
    const y = (line - 1) * lh;
    if (y < src.scrollTop || y > src.scrollTop + src.clientHeight - 2 * lh) {
      src.scrollTop = Math.max(0, y - src.clientHeight / 3);
    }
    scroll();
  }

  // ---- checking ----

  function changed() {
    state.dirty = true;
    draw();
    clearTimeout(state.timer);
    state.timer = setTimeout(check, 250);
  }

  async function check() {
    const seq = ++state.seq;
    let reply;
    try {
      reply = await api('POST', '/api/check', { name: state.name, source: src.value });
    } catch (err) {
      status('bad', err.message);
      return;
    }
    if (seq !== state.seq) return; // the text changed since
    state.errors = reply.errors;
    draw();
    showErrors(reply.errors);
    if (reply.policy) {
      const p = reply.policy;
      status('ok', `ok ${p.name}: ${p.roles.length} roles, ${p.actions.length} actions, ${p.plans.length} plans`);
      state.policyName = p.name;
      $('policyname').textContent = p.name;
      showMatrix(reply.matrix);
      fillPanel(p);
      if (!$('result').hidden) decide();
    } else {
      const n = reply.errors.length;
      status('bad', `${n} ${n === 1 ? 'error' : 'errors'}`);
      $('matrix').classList.add('stale');
      if (state.matrix) $('policyname').textContent = state.policyName + ' (as it last loaded)';
    }
  }

  function status(kind, text) {
    const s = $('status');
    s.className = 'status ' + kind;
    s.textContent = text;
  }

  function showErrors(errors) {
    const ul = $('errors');
    ul.replaceChildren(...errors.map((e) => {
      const li = el('li', '', (e.line ? `${e.line}:${e.col}: ` : '') + e.message);
      li.dataset.line = e.line;
      li.addEventListener('click', () => goto(e.line, e.col));
      return li;
    }));
  }

  // showMatrix draws the table and outlines the cells that differ from the
  // last one drawn, keyed by action and column name.
  function showMatrix(m) {
    const old = new Map();
    if (state.matrix) {
      for (const row of state.matrix.rows) {
        row.forEach((c, i) => old.set(row[0] + '\u0000' + state.matrix.header[i], c));
      }
    }
    const first = state.matrix === null;
    const t = $('matrix');
    t.classList.remove('stale');
    const head = el('tr');
    m.header.forEach((h, i) => head.append(el('th', i > 0 && isRole(m, i) ? 'role' : '', h)));
    const body = m.rows.map((row) => {
      const tr = el('tr');
      row.forEach((c, i) => {
        const role = i > 0 && isRole(m, i);
        // A role's cell is "✅" or ""; drawn as a check mark, which every
        // font has, not as an emoji, which not every machine does.
        const td = el('td', role ? (c ? 'yes' : 'no') : '', role && c ? '\u2713' : c);
        const key = row[0] + '\u0000' + m.header[i];
        if (!first && old.get(key) !== c) td.classList.add('changed');
        td.dataset.col = m.header[i];
        tr.append(td);
      });
      tr.dataset.action = row[0];
      return tr;
    });
    t.replaceChildren(el('thead'), el('tbody'));
    t.tHead.append(head);
    t.tBodies[0].append(...body);
    state.matrix = m;
  }

  // isRole reports whether column i holds a role: every column but the
  // first and the trailing Plans and Workspaces notes.
  function isRole(m, i) {
    const h = m.header[i];
    return !((h === 'Plans' || h === 'Workspaces') && i >= m.header.length - 2);
  }

  // ---- the decide panel ----

  function fill(select, values, keep) {
    const was = select.value;
    select.replaceChildren(...values.map((v) => el('option', '', v)));
    if (values.includes(was)) select.value = was;
    else if (keep && values.includes(keep)) select.value = keep;
  }

  function fillPanel(p) {
    fill($('role'), p.roles.map((r) => r.name));
    fill($('action'), p.actions);
    fill($('plan'), p.plans, p.defaultPlan);
  }

  async function decide() {
    const seq = ++state.decideSeq;
    const granted = $('granted').value.split(',').map((s) => s.trim()).filter(Boolean);
    const req = {
      name: state.name, source: src.value,
      role: $('role').value, action: $('action').value, plan: $('plan').value,
      kind: $('kind').value, project: $('project').value.trim(),
      granted: granted, guestsDisabled: $('guests-disabled').checked,
    };
    let reply;
    try {
      reply = await api('POST', '/api/decide', req);
    } catch (err) {
      reply = { error: err.message };
    }
    if (seq !== state.decideSeq) return; // a later request was sent
    const res = $('result');
    res.hidden = false;
    const v = $('verdict');
    const rule = $('rule');
    if (reply.error) {
      v.className = 'verdict error';
      v.textContent = 'cannot decide';
      $('reason').textContent = '';
      $('because').textContent = reply.error;
      rule.textContent = 'no rule';
      rule.dataset.line = '';
      return;
    }
    const d = reply.decision;
    v.className = 'verdict ' + (d.allowed ? 'allowed' : 'denied');
    v.textContent = d.allowed ? 'allowed' : 'denied';
    $('reason').textContent = d.reason;
    $('because').textContent = d.text;
    rule.textContent = d.line ? `${state.name}:${d.line}:${d.col}` : 'no rule of the policy';
    rule.dataset.line = d.line || '';
    rule.dataset.col = d.col || '';
  }

  // ---- files ----

  function open(name, text) {
    state.name = name;
    state.matrix = null;
    src.value = text;
    src.scrollTop = 0;
    src.scrollLeft = 0;
    $('result').hidden = true;
    state.dirty = false;
    draw();
    check();
  }

  async function example(name) {
    if (state.dirty && !confirm(`Replace your changes with the shipped policy ${name}?`)) return;
    try {
      const r = await api('GET', '/api/examples/' + encodeURIComponent(name));
      open(r.name + '.yaml', r.source);
      if (!state.canSave) $('filename').textContent = r.name + '.yaml';
    } catch (err) {
      status('bad', err.message);
    }
  }

  async function save() {
    if (!state.canSave) return download();
    try {
      const r = await api('POST', '/api/save', { name: state.name, source: src.value });
      state.dirty = false;
      status('ok', `saved ${r.file} (${r.bytes} bytes)`);
    } catch (err) {
      status('bad', err.message);
    }
  }

  function download() {
    const blob = new Blob([src.value], { type: 'application/yaml' });
    const a = el('a');
    a.href = URL.createObjectURL(blob);
    a.download = state.name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  // ---- wiring ----

  src.addEventListener('input', changed);
  src.addEventListener('scroll', scroll);
  src.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault(); // YAML indents with spaces, never tabs
      document.execCommand('insertText', false, '  ');
    }
  });
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      save();
    }
  });
  $('gutter').addEventListener('click', (e) => {
    const n = Number(e.target.dataset.line);
    if (n) goto(n, 1);
  });
  $('decide').addEventListener('submit', (e) => {
    e.preventDefault();
    decide();
  });
  $('rule').addEventListener('click', (e) => {
    e.preventDefault();
    const n = Number(e.target.dataset.line);
    if (n) goto(n, Number(e.target.dataset.col));
  });
  $('save').addEventListener('click', save);
  $('download').addEventListener('click', download);
  window.addEventListener('beforeunload', (e) => {
    if (state.dirty) e.preventDefault(); // unsaved or not downloaded
  });

  (async function start() {
    const s = await api('GET', '/api/start');
    state.canSave = s.canSave;
    $('save').disabled = !s.canSave;
    if (!s.canSave) $('save').title = 'Start charter playground with a FILE to save to it';
    const nav = $('examples');
    for (const name of s.examples) {
      const b = el('button', '', name);
      b.type = 'button';
      b.dataset.example = name;
      b.addEventListener('click', () => example(name));
      nav.append(b);
    }
    if (s.file) {
      const base = s.file.split(/[\\/]/).pop();
      $('filename').textContent = base;
      $('filename').title = s.file;
      open(base, s.source);
    } else if (s.examples.length > 0) {
      await example(s.examples.includes('team-guests') ? 'team-guests' : s.examples[0]);
    } else {
      open('policy.yaml', '');
    }
  })().catch((err) => status('bad', err.message));
})();
