
(function () {
  "use strict";
  // Renders pages of conversations from the embedded JSON (qa-data), filtered by agent, rule
  // and failed. The markup is the same as the first page's, which qa writes into the HTML.
  var meta = JSON.parse(document.getElementById("qa-meta").textContent);
  var data = null;
  function conversations() {
    if (data === null) data = JSON.parse(document.getElementById("qa-data").textContent);
    return data;
  }
  var $ = function (id) { return document.getElementById(id); };
  var list = $("list"), shown = $("shown"), pageLabel = $("page"), prev = $("prev"), next = $("next");
  var fAgent = $("f-agent"), fRule = $("f-rule"), fFailed = $("f-failed"), fSize = $("f-size");
  var state = { page: 0, size: meta.page, matches: null };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function verdict(c) { return c.fatal ? "fatal" : c.passed ? "passed" : "failed"; }
  function deduct(x) { return x === 0 ? "0" : "-" + String(x); }

  // The turn's text with nested marks; `marks` are finding indices in the order they open.
  function markedText(span, text, marks, findings) {
    var stack = [{ node: span, end: Infinity }], pos = 0;
    function put(upTo) {
      if (upTo > pos) stack[stack.length - 1].node.appendChild(document.createTextNode(text.slice(pos, upTo)));
      pos = Math.max(pos, upTo);
    }
    (marks || []).forEach(function (i) {
      var f = findings[i], start = f[2], end = f[3];
      while (stack.length > 1 && stack[stack.length - 1].end <= start) {
        put(stack[stack.length - 1].end);
        stack.pop();
      }
      put(start);
      var m = el("mark");
      m.setAttribute("data-rule", meta.rules[f[0]][0]);
      stack[stack.length - 1].node.appendChild(m);
      stack.push({ node: m, end: end });
    });
    while (stack.length > 1) {
      put(stack[stack.length - 1].end);
      stack.pop();
    }
    put(text.length);
  }

  function render(c, index) {
    var a = el("article", c.fatal ? "conv failed fatal" : c.passed ? "conv" : "conv failed");
    a.id = "c" + index;
    a.setAttribute("data-conversation", c.id === null ? "" : c.id);
    a.setAttribute("data-score", String(c.score));
    a.setAttribute("data-passed", String(c.passed));
    var h = el("header");
    h.appendChild(el("b", "cid", c.id === null ? "#" + (index + 1) : c.id));
    h.appendChild(el("span", "who", (c.agent === null ? "—" : c.agent) + " · " + (c.channel === null ? "—" : c.channel)));
    h.appendChild(el("span", "score", String(c.score)));
    h.appendChild(el("span", "verdict", verdict(c)));
    a.appendChild(h);
    var ol = el("ol", "turns");
    c.turns.forEach(function (t, i) {
      var li = el("li", "turn " + t[2]);
      li.setAttribute("data-turn", String(i));
      li.appendChild(el("span", "speaker", t[0]));
      var text = el("span", "text");
      markedText(text, t[1], t[3], c.findings);
      li.appendChild(text);
      ol.appendChild(li);
    });
    a.appendChild(ol);
    if (c.findings.length) {
      var ul = el("ul", "findings");
      c.findings.forEach(function (f) {
        var rule = meta.rules[f[0]], li = el("li");
        li.appendChild(el("span", "rule", rule[1]));
        li.appendChild(el("code", "", rule[0]));
        li.appendChild(el("span", "deduct", deduct(f[4])));
        li.appendChild(el("span", "where", f[1] === null ? "whole conversation" : "turn " + (f[1] + 1)));
        var message = f.length > 6 ? f[6] : rule[2];
        if (message !== null && message !== undefined) li.appendChild(el("span", "msg", message));
        if (f[5] < 2 && f[2] !== null) {
          var ev = c.turns[f[1]][1].slice(f[2], f[3]);
          if (f[5] === 1) {
            var m = el("mark", "", ev);
            m.setAttribute("data-rule", rule[0]);
            li.appendChild(m);
          } else {
            li.appendChild(el("q", "", ev));
          }
        }
        ul.appendChild(li);
      });
      a.appendChild(ul);
    }
    return a;
  }

  function matching() {
    var all = conversations(), agent = fAgent.value, rule = fRule.value, failed = fFailed.checked;
    var agentKey = agent === "" ? undefined : JSON.parse(agent);
    var ruleIndex = -1;
    if (rule !== "") meta.rules.forEach(function (r, i) { if (r[0] === rule) ruleIndex = i; });
    var out = [];
    for (var i = 0; i < all.length; i++) {
      var c = all[i];
      if (agentKey !== undefined && c.agent !== agentKey) continue;
      if (failed && c.passed) continue;
      if (rule !== "" && !c.findings.some(function (f) { return f[0] === ruleIndex; })) continue;
      out.push(i);
    }
    return out;
  }

  function show() {
    var matches = state.matches, all = conversations(), pages = Math.max(1, Math.ceil(matches.length / state.size));
    state.page = Math.min(Math.max(0, state.page), pages - 1);
    var from = state.page * state.size, to = Math.min(matches.length, from + state.size);
    var frag = document.createDocumentFragment();
    for (var i = from; i < to; i++) frag.appendChild(render(all[matches[i]], matches[i]));
    list.replaceChildren(frag);
    shown.setAttribute("data-matches", String(matches.length));
    shown.textContent = matches.length === 0 ? "No conversations match."
      : (to - from) + " of " + matches.length + " conversations shown (" + (from + 1) + "–" + to + ")";
    pageLabel.textContent = (state.page + 1) + " / " + pages;
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
  }

  function refilter() {
    state.matches = matching();
    state.page = 0;
    show();
  }
  [fAgent, fRule, fFailed].forEach(function (e) { e.addEventListener("change", refilter); });
  fSize.addEventListener("change", function () {
    state.size = parseInt(fSize.value, 10);
    if (state.matches === null) state.matches = matching();
    state.page = 0;
    show();
  });
  function turnPage(by) {
    if (state.matches === null) state.matches = matching();
    state.page += by;
    show();
    list.scrollIntoView();
  }
  prev.addEventListener("click", function () { turnPage(-1); });
  next.addEventListener("click", function () { turnPage(1); });

  // #c17 (the alerts table links there): show conversation 17, clearing filters if needed.
  function reveal() {
    var m = /^#c(\d+)$/.exec(location.hash);
    if (!m) return;
    var index = parseInt(m[1], 10);
    if (index >= meta.count) return;
    if (!document.getElementById("c" + index)) {
      if (state.matches === null || state.matches.indexOf(index) < 0) {
        fAgent.value = ""; fRule.value = ""; fFailed.checked = false;
        state.matches = matching();
      }
      state.page = Math.floor(state.matches.indexOf(index) / state.size);
      show();
    }
    var e = document.getElementById("c" + index);
    if (e) e.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);
  // a browser may restore form values on reload: the first page shown must match them
  if (fAgent.value !== "" || fRule.value !== "" || fFailed.checked || parseInt(fSize.value, 10) !== meta.page) {
    state.size = parseInt(fSize.value, 10);
    refilter();
  }
  reveal();
  // parse the conversations once the page is idle, so the first filter does not wait for it
  window.addEventListener("load", function () {
    (window.requestIdleCallback || setTimeout)(function () { conversations(); });
  });
})();
