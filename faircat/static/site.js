// faircat pages: progressive enhancement only. Without this script every citation style is shown
// as selectable text; with it the styles become keyboard-usable tabs (WAI-ARIA tabs pattern,
// automatic activation) and each citation gets a copy button.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setupTabs(box) {
    var tablist = box.querySelector(".cite__tabs");
    var tabs = Array.prototype.slice.call(box.querySelectorAll('[role="tab"]'));
    if (!tablist || tabs.length === 0) return;
    var panels = tabs.map(function (tab) {
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      panel.setAttribute("tabindex", "0");
      return panel;
    });

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        panels[i].hidden = !on;
      });
      if (focus) tabs[index].focus();
    }

    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next !== null) {
          event.preventDefault();
          select(next, true);
        }
      });
    });
    tablist.hidden = false;
    select(0, false);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (a local preview) has no async clipboard: fall back to a hidden textarea.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error("copy refused"));
    });
  }

  function setupCopy(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.textContent;
    var box = button.closest("[data-tabs]");
    var status = box ? box.querySelector("[data-copy-status]") : null;
    var timer = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(source.textContent).then(function () {
        button.setAttribute("data-state", "copied");
        button.textContent = "Copied";
        if (status) status.textContent = "Citation copied to the clipboard.";
      }, function () {
        // Copy refused (permissions): select the text so Ctrl+C works.
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.setAttribute("data-state", "selected");
        if (status) status.textContent = "Citation selected: press Ctrl+C to copy.";
      });
      clearTimeout(timer);
      timer = setTimeout(function () {
        button.textContent = label;
        button.removeAttribute("data-state");
      }, 2500);
    });
  }

  document.querySelectorAll("[data-tabs]").forEach(setupTabs);
  document.querySelectorAll("button[data-copy]").forEach(setupCopy);
})();
