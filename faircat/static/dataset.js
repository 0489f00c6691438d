// The dataset page: frame slider of the preview, "select all" files, and the HDF5 explorer.
// Everything works without this script (the slider is a GET form, the zip a form of
// checkboxes); the script makes them instant. Text from files is only ever set through
// textContent, never as markup.
(function () {
  "use strict";

  // -- preview frames ------------------------------------------------------------------------
  function frameViewer() {
    var figure = document.querySelector(".frame-viewer");
    var form = document.querySelector(".frame-picker");
    if (!figure || !form) return;
    var image = figure.querySelector("img");
    var range = form.querySelector(".frame-picker__range");
    var output = form.querySelector(".frame-picker__value");
    var base = figure.getAttribute("data-base");
    var frames = parseInt(figure.getAttribute("data-frames"), 10);
    var timer = null;
    var next = new Image();

    form.querySelector(".frame-picker__go").hidden = true;
    function show(frame) {
      frame = Math.min(frames, Math.max(1, frame));
      range.value = String(frame);
      output.textContent = frame + " / " + frames;
      range.setAttribute("aria-valuetext", "Frame " + frame + " of " + frames);
      window.clearTimeout(timer);
      // A held arrow key moves many frames a second: ask only for the one it stops on.
      timer = window.setTimeout(function () {
        figure.setAttribute("aria-busy", "true");
        image.src = base + (frame - 1) + ".png";
        image.alt = image.alt.replace(/frame \d+ of/, "frame " + frame + " of");
        if (frame < frames) next.src = base + frame + ".png"; // the likely next step, cached
        var url = new URL(window.location.href);
        url.searchParams.set("frame", String(frame));
        window.history.replaceState(null, "", url.pathname + url.search + "#preview");
      }, 80);
    }
    image.addEventListener("load", function () { figure.removeAttribute("aria-busy"); });
    image.addEventListener("error", function () { figure.removeAttribute("aria-busy"); });
    range.addEventListener("input", function () { show(parseInt(range.value, 10)); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show(parseInt(range.value, 10));
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-step]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        show(parseInt(range.value, 10) + parseInt(button.getAttribute("data-step"), 10));
      });
    });
  }

  // -- file selection ------------------------------------------------------------------------
  function selectAll() {
    var all = document.querySelector(".select-all");
    if (!all) return;
    var boxes = document.querySelectorAll('.files-table input[name="file"]');
    all.hidden = false;
    all.addEventListener("change", function () {
      Array.prototype.forEach.call(boxes, function (box) { box.checked = all.checked; });
    });
  }

  // -- HDF5 explorer -------------------------------------------------------------------------
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function query(base, route, params) {
    var search = new URLSearchParams(params);
    return base + route + "?" + search.toString();
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body && body.message ? body.message : response.statusText);
          return body;
        });
      });
  }

  function join(path, name) {
    return (path === "/" ? "" : path) + "/" + name;
  }

  var STRING = 3; // HDF5's H5T_STRING class, as h5grove reports it

  function typeText(type) {
    if (!type) return "";
    if (type["class"] === STRING) return "string";
    return type.dtype || ("class " + type["class"]);
  }

  function shapeText(shape) {
    if (shape === null || shape === undefined) return "empty";
    if (shape.length === 0) return "scalar";
    return shape.join(" × ");
  }

  function valueText(value) {
    var text = typeof value === "string" ? value : JSON.stringify(value);
    return text.length > 300 ? text.slice(0, 299) + "…" : text;
  }

  function details(base, path, meta, holder) {
    holder.textContent = "";
    var facts = element("dl", "facts h5-facts");
    function fact(name, value) {
      facts.appendChild(element("dt", "", name));
      facts.appendChild(element("dd", "", value));
    }
    fact("Path", path);
    if (meta.kind === "dataset") {
      fact("Shape", shapeText(meta.shape));
      fact("Type", typeText(meta.type));
      if (meta.chunks) fact("Chunks", meta.chunks.join(" × "));
      if (meta.filters) fact("Compression", meta.filters.map(function (f) { return f.name; }).join(", "));
    }
    holder.appendChild(facts);
    if (meta.kind === "dataset" && meta.shape) {
      var links = element("p", "h5-values");
      var first = meta.shape.length ? "0:" + Math.min(meta.shape[0], 10) : undefined;
      var params = { path: path, format: "json" };
      if (first) params.selection = first;
      var json = element("a", "", "First values (JSON)");
      json.href = query(base, "data", params);
      links.appendChild(json);
      if (meta.type && (meta.type["class"] === 0 || meta.type["class"] === 1)) {
        links.appendChild(document.createTextNode(" · "));
        var bin = element("a", "", "binary");
        var binParams = { path: path, format: "bin", dtype: "safe" };
        if (first) binParams.selection = first;
        bin.href = query(base, "data", binParams);
        links.appendChild(bin);
      }
      holder.appendChild(links);
    }
    var attributes = meta.attributes || [];
    if (!attributes.length) return;
    var table = element("table", "data-table stack-on-phone h5-attributes");
    var head = element("thead");
    var row = element("tr");
    ["Attribute", "Value"].forEach(function (name) {
      var th = element("th", "", name);
      th.scope = "col";
      row.appendChild(th);
    });
    head.appendChild(row);
    table.appendChild(head);
    var body = element("tbody");
    table.appendChild(body);
    holder.appendChild(table);
    getJSON(query(base, "attr", { path: path })).then(function (values) {
      attributes.forEach(function (attribute) {
        var tr = element("tr");
        var name = element("td", "", attribute.name);
        name.setAttribute("data-label", "Attribute");
        var value = element("td", "", valueText(values[attribute.name]));
        value.setAttribute("data-label", "Value");
        tr.appendChild(name);
        tr.appendChild(value);
        body.appendChild(tr);
      });
    }).catch(function (error) {
      holder.appendChild(element("p", "flash flash--error", error.message));
    });
  }

  function node(base, path, child) {
    var item = element("li", "h5-node h5-node--" + child.kind);
    var full = join(path, child.name);
    var button = element("button", "h5-node__toggle");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    button.appendChild(element("span", "h5-node__name", child.name + (child.kind === "group" ? "/" : "")));
    var summary = child.kind === "dataset" ? shapeText(child.shape) + " · " + typeText(child.type)
      : child.kind === "soft_link" ? "→ " + child.target_path
      : child.kind === "external_link" ? "→ " + child.target_file + ":" + child.target_path
      : child.kind;
    button.appendChild(element("span", "h5-node__meta", summary));
    item.appendChild(button);
    var panel = element("div", "h5-node__panel");
    panel.hidden = true;
    item.appendChild(panel);
    var loaded = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      panel.hidden = !open;
      if (!open || loaded) return;
      loaded = true;
      panel.appendChild(element("p", "muted", "Loading…"));
      getJSON(query(base, "meta", { path: full })).then(function (meta) {
        panel.textContent = "";
        if (meta.kind === "group") {
          details(base, full, meta, panel.appendChild(element("div", "h5-node__details")));
          panel.appendChild(tree(base, full, meta.children || []));
        } else {
          details(base, full, meta, panel);
        }
      }).catch(function (error) {
        panel.textContent = "";
        panel.appendChild(element("p", "flash flash--error", error.message));
        loaded = false;
      });
    });
    return item;
  }

  function tree(base, path, children) {
    var list = element("ul", "h5-list");
    if (!children.length) list.appendChild(element("li", "muted", "This group is empty."));
    children.forEach(function (child) { list.appendChild(node(base, path, child)); });
    return list;
  }

  function explorer() {
    var select = document.getElementById("h5-file");
    var holder = document.getElementById("h5-tree");
    if (!select || !holder) return;
    function open() {
      var base = select.value;
      holder.textContent = "";
      holder.appendChild(element("p", "muted", "Loading…"));
      getJSON(query(base, "meta", { path: "/" })).then(function (meta) {
        holder.textContent = "";
        holder.appendChild(tree(base, "/", meta.children || []));
      }).catch(function (error) {
        holder.textContent = "";
        holder.appendChild(element("p", "flash flash--error", error.message));
      });
    }
    select.addEventListener("change", open);
    open();
  }

  document.addEventListener("DOMContentLoaded", function () {
    frameViewer();
    selectAll();
    explorer();
  });
})();
