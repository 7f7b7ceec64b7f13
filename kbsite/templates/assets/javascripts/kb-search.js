/* kbsite offline search. Loads the prebuilt index (search/index-N.js, written
   by kbsite/search.py) with script tags, which work from file://, when the
   box gets focus; searches it in slices of a few milliseconds so typing never
   blocks the page. No network, no storage, no inline script. */
(function () {
  "use strict";
  var script = document.currentScript;
  var box = document.querySelector("[data-kb-search]");
  if (!script || !box) return;
  var root = script.src.replace(/assets\/javascripts\/kb-search\.js([?#].*)?$/, "");
  var parts = parseInt(script.getAttribute("data-parts"), 10) || 0;
  var SLICE_MS = 8, MAX_RESULTS = 20;
  var docs = [], loaded = 0, loading = false, run = 0, query = "";

  function norm(s) {
    // One character for one: positions in the normalised text match the original.
    return s.toLowerCase().replace(/[^\p{L}\p{N}]/gu, " ");
  }

  window.kbSearchAdd = function (rows) {
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      docs.push({url: r[0], title: r[1], where: r[2], summary: r[3], text: r[5],
                 t: " " + norm(r[1]), k: " " + norm(r[2] + " " + r[4]),
                 s: " " + norm(r[3]), x: " " + norm(r[5])});
    }
    loaded++;
    if (loaded < parts) loadPart(loaded);
    if (query) search(query);
  };

  function loadPart(n) {
    var s = document.createElement("script");
    s.src = root + "search/index-" + n + ".js";
    s.onerror = function () { status("The search index could not be loaded."); };
    document.head.appendChild(s);
  }

  function ensureLoaded() {
    if (loading || !parts) return;
    loading = true;
    loadPart(0);
  }

  // ---- the box
  var form = document.createElement("form");
  form.className = "kb-search__form";
  form.setAttribute("role", "search");
  var input = document.createElement("input");
  input.type = "search";
  input.className = "kb-search__input";
  input.placeholder = "Search";
  input.setAttribute("aria-label", "Search all articles");
  input.autocomplete = "off";
  input.spellcheck = false;
  var panel = document.createElement("div");
  panel.className = "kb-search__results";
  panel.hidden = true;
  panel.setAttribute("aria-live", "polite");
  form.appendChild(input);
  box.insertBefore(form, box.firstChild);
  box.appendChild(panel);
  box.classList.add("kb-search--ready");

  input.addEventListener("focus", ensureLoaded);
  input.addEventListener("input", function () {
    ensureLoaded();
    query = input.value.trim();
    if (!query) { panel.hidden = true; run++; return; }
    search(query);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var first = panel.querySelector("a.kb-search__hit");
    if (first) window.location.href = first.href;
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { input.value = ""; query = ""; panel.hidden = true; run++; }
    if (e.key === "ArrowDown") {
      var first = panel.querySelector("a");
      if (first) { e.preventDefault(); first.focus(); }
    }
  });
  document.addEventListener("click", function (e) {
    if (!box.contains(e.target)) panel.hidden = true;
  });
  input.addEventListener("click", function () { if (query) panel.hidden = false; });

  // ---- searching
  function has(hay, term) {
    return hay.indexOf(" " + term) !== -1;
  }

  function score(d, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], best = 0;
      if (has(d.t, t)) best = d.t.indexOf(" " + t + " ") !== -1 || d.t.slice(-t.length - 1) === " " + t ? 12 : 10;
      else if (has(d.k, t)) best = 5;
      else if (has(d.s, t)) best = 3;
      else if (has(d.x, t)) best = 1;
      else return 0;
      total += best;
    }
    return total;
  }

  function search(q) {
    var terms = norm(q).split(" ").filter(Boolean);
    var mine = ++run, hits = [], i = 0, n = docs.length;
    if (!terms.length) return;
    function step() {
      if (mine !== run) return;  // a newer query took over
      var stop = performance.now() + SLICE_MS;
      for (; i < n; i++) {
        var sc = score(docs[i], terms);
        if (sc) hits.push([sc, i]);
        if ((i & 31) === 31 && performance.now() > stop) { i++; setTimeout(step, 0); return; }
      }
      hits.sort(function (a, b) {  // best score, then the shorter (closer) title
        var ta = docs[a[1]].title, tb = docs[b[1]].title;
        return b[0] - a[0] || ta.length - tb.length || (ta < tb ? -1 : ta > tb ? 1 : 0);
      });
      show(hits, terms);
    }
    step();
  }

  function status(text) {
    panel.textContent = "";
    var p = document.createElement("p");
    p.className = "kb-search__status";
    p.textContent = text;
    panel.appendChild(p);
    panel.hidden = false;
  }

  function snippet(d, terms) {
    var at = -1, len = 0;
    for (var i = 0; i < terms.length && at < 0; i++) {
      at = d.x.indexOf(" " + terms[i]);
      len = terms[i].length;
    }
    if (at < 0) return d.summary;
    var start = Math.max(0, at - 60), end = Math.min(d.text.length, at + len + 100);
    if (start > 0) start = d.text.indexOf(" ", start) + 1;
    return (start > 0 ? "… " : "") + d.text.slice(start, end) + (end < d.text.length ? " …" : "");
  }

  function marked(text, terms) {
    // Text nodes and <mark> elements only: index text never becomes markup.
    var frag = document.createDocumentFragment(), hay = " " + norm(text), pos = 0;
    while (pos < text.length) {
      var next = -1, len = 0;
      for (var i = 0; i < terms.length; i++) {
        var at = hay.indexOf(" " + terms[i], pos);
        if (at !== -1 && (next === -1 || at < next)) { next = at; len = terms[i].length; }
      }
      if (next === -1) break;
      frag.appendChild(document.createTextNode(text.slice(pos, next)));
      var m = document.createElement("mark");
      m.textContent = text.slice(next, next + len);
      frag.appendChild(m);
      pos = next + len;
    }
    frag.appendChild(document.createTextNode(text.slice(pos)));
    return frag;
  }

  function show(hits, terms) {
    var waiting = loaded < parts;
    if (!hits.length) {
      status(waiting ? "Loading the search index…" : "No article matches “" + query + "”.");
      return;
    }
    panel.textContent = "";
    var list = document.createElement("ol");
    list.className = "kb-search__list";
    for (var i = 0; i < hits.length && i < MAX_RESULTS; i++) {
      var d = docs[hits[i][1]];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "kb-search__hit";
      a.href = root + d.url;
      var title = document.createElement("span");
      title.className = "kb-search__title";
      title.appendChild(marked(d.title, terms));
      var where = document.createElement("span");
      where.className = "kb-search__where";
      where.textContent = d.where;
      var text = document.createElement("span");
      text.className = "kb-search__snippet";
      text.appendChild(marked(snippet(d, terms), terms));
      a.appendChild(title);
      a.appendChild(where);
      a.appendChild(text);
      li.appendChild(a);
      list.appendChild(li);
    }
    var count = document.createElement("p");
    count.className = "kb-search__status";
    count.textContent = hits.length + (hits.length === 1 ? " result" : " results") +
      (hits.length > MAX_RESULTS ? ", best " + MAX_RESULTS + " shown" : "") + (waiting ? " so far…" : "");
    panel.appendChild(count);
    panel.appendChild(list);
    panel.hidden = false;
  }
})();
