/* kbsite offline search. The index (written by kbsite/site/search.py) is split: a
   query loads, with script tags (which work from file://), only the term parts
   its words need and the page records it shows. Terms follow the same rule as
   kbsite/site/tokens.py. Matching runs in slices of a few milliseconds so typing
   never blocks the page. The box and its results follow the ARIA combobox
   pattern. No network beyond this folder, no storage, no inline script. */
(function () {
  "use strict";
  var script = document.currentScript;
  var box = document.querySelector("[data-kb-search]");
  if (!script || !box) return;
  var root = script.src.replace(/assets\/javascripts\/kb-search\.js([?#].*)?$/, "");
  var PARTS = parseInt(script.getAttribute("data-parts"), 10) || 0;
  var PAGE_PART = parseInt(script.getAttribute("data-page-part"), 10) || 1;
  if (!PARTS) return;
  var SLICE_MS = 8, MAX_RESULTS = 10, TYPO_MIN = 5;
  var WEIGHT = [1, 4, 16, 64];  // body, summary, tags and tools, title: a better field always wins
  var words = {}, buckets = {}, pages = [], pending = {}, failed = false;
  var run = 0, query = "", active = -1, shown = [];

  // ---- terms: the same steps as kbsite/site/tokens.py
  var DROP = /[\u0300-\u036f\u064b-\u065f\u0670\u0640]/g;
  var LETTERS = {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0629": "\u0647"};
  var CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af";
  var CJK_RUN = new RegExp("[" + CJK + "]+|[^" + CJK + "]+", "g"), CJK_CHAR = new RegExp("^[" + CJK + "]");
  var WORD = "[\\p{L}\\p{N}\\p{M}]+", WORDS = new RegExp(WORD + "(?:\u200c" + WORD + ")*", "gu");

  function fold(s) {
    s = s.toLowerCase().normalize("NFKD").replace(DROP, "").normalize("NFC");
    return s.replace(/[\u064a\u0649\u0643\u0629\u0660-\u0669\u06f0-\u06f9]/g, function (c) {
      var n = c.charCodeAt(0);
      return LETTERS[c] || String(n >= 0x6f0 ? n - 0x6f0 : n - 0x660);
    });
  }
  function isCjk(t) { return CJK_CHAR.test(t); }
  function split(word, out) {
    var runs = word.match(CJK_RUN) || [];
    for (var i = 0; i < runs.length; i++) {
      var r = runs[i];
      if (!isCjk(r) || r.length === 1) out.push(r);
      else for (var j = 0; j + 1 < r.length; j++) out.push(r.slice(j, j + 2));
    }
  }
  function terms(text, isQuery) {
    var out = [], m = fold(text).match(WORDS) || [];
    for (var i = 0; i < m.length; i++) {
      var parts = m[i].split("\u200c");
      if (parts.length > 1) {
        out.push(parts.join(""));
        if (isQuery) continue;
      }
      for (var j = 0; j < parts.length; j++) split(parts[j], out);
    }
    return out.filter(function (t) { return Array.from(t).length <= 40; });
  }
  function bucket(t, parts) {
    var cs = Array.from(t).slice(0, isCjk(t) ? 1 : 2), h = 0;
    for (var i = 0; i < cs.length; i++) h = (h * 31 + cs[i].codePointAt(0)) % 1000003;
    return h % parts;
  }
  window.kbSearchTokens = {fold: fold, terms: terms, bucket: bucket};  // for the tests: one rule

  // ---- loading parts by need
  function load(name) {
    if (pending[name]) return;
    pending[name] = true;
    var s = document.createElement("script");
    s.src = root + "search/" + name + ".js";
    s.onerror = function () { status(box.getAttribute("data-failed") || "The search index could not be loaded."); failed = true; };
    document.head.appendChild(s);
  }
  window.kbSearchTerms = function (n, table, said) {
    buckets[n] = {table: table, list: Object.keys(table)};
    words = said;
    if (query) search(query);
  };
  window.kbSearchPages = function (n, records) {
    pages[n] = records;
    if (query) search(query);
  };

  // ---- the box: an ARIA combobox with a listbox of results
  var form = document.createElement("form");
  form.className = "kb-search__form";
  form.setAttribute("role", "search");
  var input = document.createElement("input");
  input.type = "search";
  input.className = "kb-search__input";
  input.placeholder = box.getAttribute("data-placeholder") || "Search";
  input.setAttribute("aria-label", box.getAttribute("data-label") || "Search all articles");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", "kb-search-list");
  input.autocomplete = "off";
  input.spellcheck = false;
  var panel = document.createElement("div");
  panel.className = "kb-search__results";
  panel.hidden = true;
  var live = document.createElement("p");
  live.className = "kb-search__status";
  // What the status says, announced: a live region outside the hidden panel, in the page
  // from the start, so screen readers hear its changes.
  var say = document.createElement("p");
  say.className = "kb-sr";
  say.setAttribute("role", "status");
  var list = document.createElement("ul");
  list.className = "kb-search__list";
  list.id = "kb-search-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", input.getAttribute("aria-label"));
  panel.appendChild(live);
  panel.appendChild(list);
  form.appendChild(input);
  box.insertBefore(form, box.firstChild);
  box.appendChild(panel);
  box.appendChild(say);
  box.classList.add("kb-search--ready");

  function open(yes) {
    panel.hidden = !yes;
    input.setAttribute("aria-expanded", yes && shown.length ? "true" : "false");
  }
  function clear() {
    input.value = ""; query = ""; run++; shown = []; list.textContent = ""; live.textContent = ""; say.textContent = "";
    select(-1); open(false);
  }
  function select(n) {
    var options = list.querySelectorAll("[role=option]");
    active = options.length ? n : -1;
    for (var i = 0; i < options.length; i++) options[i].setAttribute("aria-selected", i === active ? "true" : "false");
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    } else input.removeAttribute("aria-activedescendant");
  }

  input.addEventListener("input", function () {
    query = input.value.trim();
    if (!query) { clear(); return; }
    search(query);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  input.addEventListener("keydown", function (e) {
    var n = shown.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      e.preventDefault();
      open(true);
      var down = e.key === "ArrowDown";
      select(active < 0 ? (down ? 0 : n - 1) : (active + (down ? 1 : n - 1)) % n);
    } else if (e.key === "Enter") {
      e.preventDefault();
      var options = list.querySelectorAll("[role=option]");
      var target = options[active >= 0 ? active : 0];
      if (target && !panel.hidden) window.location.href = target.href;
    } else if (e.key === "Escape") {
      e.preventDefault();
      if (!panel.hidden) { open(false); select(-1); } else clear();
    }
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); open(false); select(-1); input.focus(); }
  });
  document.addEventListener("click", function (e) {
    if (!box.contains(e.target)) open(false);
  });
  input.addEventListener("click", function () { if (query) open(true); });

  // ---- matching
  function typo(a, b) {
    // Optimal string alignment distance of at most one (one edit or one swap).
    var la = a.length, lb = b.length, i = 0;
    if (Math.abs(la - lb) > 1) return false;
    while (i < la && i < lb && a[i] === b[i]) i++;
    if (i === la && i === lb) return true;
    if (la === lb) {
      if (a.slice(i + 1) === b.slice(i + 1)) return true;  // one letter changed
      return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);  // two swapped
    }
    return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);  // one more, one less
  }
  function needs(t) {
    // The parts a term's matches can stand in: its own, and for a typo in its second
    // letter (a swap, or one letter too many) the part of its first and third.
    var keys = [bucket(t, PARTS)], cs = Array.from(t);
    if (cs.length >= TYPO_MIN && !isCjk(t)) keys.push(bucket(cs[0] + cs[2], PARTS));
    return keys.filter(function (k, i) { return keys.indexOf(k) === i; });
  }

  function search(q) {
    var mine = ++run;
    var qterms = terms(q, true).filter(function (t) { return isCjk(t) || Array.from(t).length > 1 || /[0-9]/.test(t); });
    if (!qterms.length) { status(""); return; }
    var missing = false;
    qterms.forEach(function (t) {
      needs(t).forEach(function (k) { if (!buckets[k]) { missing = true; load("t-" + k); } });
    });
    if (missing) { if (!shown.length) status(box.getAttribute("data-loading") || "…"); return; }
    // Jobs: each query term against each term of its parts, in time slices.
    var jobs = [];
    qterms.forEach(function (t, qi) {
      needs(t).forEach(function (k) { jobs.push([qi, t, buckets[k]]); });
    });
    var found = qterms.map(function () { return {}; }), j = 0, w = 0;
    function step() {
      if (mine !== run) return;  // a newer query took over
      var stop = performance.now() + SLICE_MS;
      for (; j < jobs.length; j++, w = 0) {
        var qi = jobs[j][0], t = jobs[j][1], b = jobs[j][2], cjk = isCjk(t), fuzzy = !cjk && t.length >= TYPO_MIN;
        for (; w < b.list.length; w++) {
          if ((w & 63) === 63 && performance.now() > stop) { setTimeout(step, 0); return; }
          var term = b.list[w], factor = 0;
          if (term === t) factor = 1;
          else if (term.lastIndexOf(t, 0) === 0) factor = 0.75;  // a prefix: the word being typed
          else if (fuzzy && typo(term, t)) factor = 0.5;
          if (factor) add(found[qi], b.table[term], factor);
        }
      }
      finish(found);
    }
    step();
  }
  function add(into, enc, factor) {
    for (var i = 0, page = 0; i < enc.length; i++) {
      page += enc[i] >> 2;
      var s = WEIGHT[enc[i] & 3] * factor;
      if (!(into[page] >= s)) into[page] = s;
    }
  }
  function finish(found) {
    // Every word must match; the scores add up.
    var hits = [], first = found[0];
    for (var key in first) {
      var total = 0;
      for (var i = 0; i < found.length && total >= 0; i++) total = found[i][key] ? total + found[i][key] : -1;
      if (total > 0) hits.push([total, +key]);
    }
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    // The records of the best results: those loaded so far are shown at once, in order;
    // the rest follow as their parts arrive (kbSearchPages searches again).
    var ready = [], complete = true, top = hits.slice(0, MAX_RESULTS);
    top.forEach(function (h) {
      var part = pages[Math.floor(h[1] / PAGE_PART)];
      if (!part) { complete = false; load("p-" + Math.floor(h[1] / PAGE_PART)); }
      else if (complete) ready.push(part[h[1] % PAGE_PART]);
    });
    if (complete || ready.length) show(ready, hits.length, complete);
  }

  // ---- showing
  function status(text) {
    if (failed) return;
    panel.removeAttribute("data-done");
    shown = []; list.textContent = ""; select(-1);
    live.textContent = say.textContent = text;
    open(!!text);
  }

  function marked(text, qwords) {
    // Text nodes and <mark> elements only: index text never becomes markup. Folded
    // character by character, so each folded position maps back to the original.
    var frag = document.createDocumentFragment(), chars = Array.from(text), hay = "", at = [];
    for (var i = 0; i < chars.length; i++) {
      var f = fold(chars[i]);
      for (var k = 0; k < f.length; k++) at.push(i);
      hay += f;
    }
    var pos = 0, from = 0;
    for (;;) {
      var next = -1, len = 0;
      for (var q = 0; q < qwords.length; q++) {
        var w = qwords[q], idx = hay.indexOf(w, from);
        while (idx > 0 && !isCjk(w) && /[\p{L}\p{N}\p{M}]/u.test(hay[idx - 1])) idx = hay.indexOf(w, idx + 1);
        if (idx !== -1 && (next === -1 || idx < next)) { next = idx; len = w.length; }
      }
      if (next === -1) break;
      var s = at[next], e = at[next + len - 1] + 1;
      if (s >= pos) {
        frag.appendChild(document.createTextNode(chars.slice(pos, s).join("")));
        var m = document.createElement("mark");
        m.textContent = chars.slice(s, e).join("");
        frag.appendChild(m);
        pos = e;
      }
      from = next + len;
    }
    frag.appendChild(document.createTextNode(chars.slice(pos).join("")));
    return frag;
  }

  function show(records, total, complete) {
    shown = records;
    if (complete) panel.setAttribute("data-done", query);  // for tests and the bench: all shown
    else panel.removeAttribute("data-done");
    list.textContent = "";
    var qwords = fold(query).match(WORDS) || [];
    if (!records.length) {
      live.textContent = (words.none || "No article matches “%s”.").replace("%s", query) + " ";
      var a = document.createElement("a");
      a.href = root + "subjects.html";
      a.className = "kb-search__subjects";
      a.textContent = words.subjects || "Look it up in the subject index";
      live.appendChild(a);
      say.textContent = live.textContent;
      select(-1);
      open(true);
      return;
    }
    for (var i = 0; i < records.length; i++) {
      var d = records[i];
      var li = document.createElement("li");
      li.setAttribute("role", "none");
      var a2 = document.createElement("a");
      a2.className = "kb-search__hit";
      a2.id = "kb-search-option-" + i;
      a2.setAttribute("role", "option");
      a2.setAttribute("aria-selected", "false");
      a2.tabIndex = -1;
      a2.href = root + d[0];
      var title = document.createElement("span");
      title.className = "kb-search__title";
      title.appendChild(marked(d[1], qwords));
      var where = document.createElement("span");
      where.className = "kb-search__where";
      where.textContent = d[2];
      var text = document.createElement("span");
      text.className = "kb-search__snippet";
      text.appendChild(marked(d[3], qwords));
      a2.appendChild(title);
      a2.appendChild(where);
      a2.appendChild(text);
      li.appendChild(a2);
      list.appendChild(li);
    }
    var one = total === 1;
    live.textContent = (one ? words.one || "1 result" : (words.many || "%d results").replace("%d", total)) +
      (total > MAX_RESULTS ? (words.best || ", best %d shown").replace("%d", MAX_RESULTS) : "");
    say.textContent = live.textContent;
    select(-1);
    open(true);
  }
})();
