// Client-side search over /search/index.json, written by the export as an array of
// {"t": title, "u": url, "d": description snippet, "k": [keywords, beamline, technique], "y": year}.
// Every term must match (AND), ignoring case and accents, over title, description, keywords and
// year. The query lives in ?q= so results can be bookmarked and the home page form lands here.
(function () {
  "use strict";
  var INDEX_URL = "/search/index.json";
  var MAX_SHOWN = 200;

  var form = document.querySelector("[data-search]");
  var input = document.getElementById("q");
  var count = document.getElementById("search-count");
  var list = document.getElementById("search-results");
  if (!form || !input || !count || !list) return;

  // NFD splits "é" into "e" + U+0301; dropping the combining marks leaves the base letter.
  function fold(text) {
    return String(text == null ? "" : text)
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();
  }

  var records = null;

  function prepare(data) {
    return (Array.isArray(data) ? data : []).map(function (item) {
      var keywords = Array.isArray(item.k) ? item.k.join(" ") : "";
      return {
        item: item,
        haystack: fold([item.t, item.d, keywords, item.y].join(" ")),
      };
    });
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function show(query) {
    var terms = fold(query).split(/\s+/).filter(Boolean);
    list.textContent = "";
    if (terms.length === 0) {
      count.textContent = "Type to search " + plural(records.length, "record") + ".";
      return;
    }
    var hits = records.filter(function (entry) {
      return terms.every(function (term) { return entry.haystack.indexOf(term) !== -1; });
    });
    hits.slice(0, MAX_SHOWN).forEach(function (entry) {
      var item = entry.item;
      var li = document.createElement("li");
      li.className = "card";
      var link = document.createElement("a");
      link.className = "card__title";
      // Only site paths and web URLs: the index is data, never a place for javascript: links.
      link.href = /^(\/|https?:\/\/)/i.test(item.u || "") ? item.u : "#";
      link.textContent = item.t || item.u;
      li.appendChild(link);
      if (item.d) {
        var note = document.createElement("p");
        note.className = "card__note";
        note.textContent = item.d;
        li.appendChild(note);
      }
      var meta = [];
      if (item.y) meta.push(String(item.y));
      if (Array.isArray(item.k)) meta = meta.concat(item.k.slice(0, 6));
      if (meta.length) {
        var small = document.createElement("p");
        small.className = "card__meta";
        small.textContent = meta.join(" · ");
        li.appendChild(small);
      }
      list.appendChild(li);
    });
    var text = plural(hits.length, "record") + " found";
    if (hits.length > MAX_SHOWN) text += ", showing the first " + MAX_SHOWN;
    count.textContent = text + ".";
  }

  function syncUrl(query) {
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
  }

  var timer = null;
  function onInput() {
    clearTimeout(timer);
    // A short pause keeps the live region from announcing every keystroke.
    timer = setTimeout(function () {
      if (records === null) return;
      show(input.value);
      syncUrl(input.value.trim());
    }, 200);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (records === null) return;
    show(input.value);
    syncUrl(input.value.trim());
  });
  input.addEventListener("input", onInput);

  input.value = new URLSearchParams(window.location.search).get("q") || "";
  count.textContent = "Loading the search index…";
  fetch(INDEX_URL, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (data) {
      records = prepare(data);
      show(input.value);
    })
    .catch(function () {
      count.textContent = "The search index could not be loaded. Browse by beamline, technique or year instead.";
    });
})();
