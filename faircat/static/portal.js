// faircat portal: progressive enhancement only. Without this script the creator rows are added
// and removed by the form's own buttons (a round trip to the server); with it the same buttons
// work in the page, keep what was typed elsewhere, and move focus sensibly.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var INDEX = /(creators-)(\d+)(-)/;

  function renumber(editor) {
    var rows = editor.querySelectorAll("[data-creator-row]");
    Array.prototype.forEach.call(rows, function (row, i) {
      var labels = row.querySelectorAll("[data-creator-number]");
      labels[0].textContent = "Creator " + (i + 1);
      if (labels[1]) labels[1].textContent = " creator " + (i + 1);
    });
    return rows.length;
  }

  function nextIndex(editor) {
    var highest = -1;
    Array.prototype.forEach.call(editor.querySelectorAll("[data-creator-row] [name]"), function (el) {
      var match = INDEX.exec(el.name);
      if (match) highest = Math.max(highest, parseInt(match[2], 10));
    });
    return highest + 1;
  }

  function announce(editor, text) {
    var status = editor.querySelector("[data-creator-status]");
    if (status) status.textContent = text;
  }

  function addRow(editor) {
    var list = editor.querySelector("[data-creator-rows]");
    var model = list.querySelector("[data-creator-row]");
    if (!model) return;  // the server renders at least one row; nothing to copy otherwise
    var index = String(nextIndex(editor));
    var row = model.cloneNode(true);
    Array.prototype.forEach.call(row.querySelectorAll("[name], [id], [for], [aria-describedby], [value]"), function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(new RegExp(INDEX.source, "g"), "$1" + index + "$3"));
      });
      if (el.matches("input, textarea")) el.value = "";
      if (el.matches("[data-remove-creator]")) el.value = el.value.replace(INDEX, "$1" + index + "$3");
    });
    // A copied row starts clean: no error messages from the row it was copied from.
    Array.prototype.forEach.call(row.querySelectorAll(".field__error"), function (el) { el.remove(); });
    Array.prototype.forEach.call(row.querySelectorAll(".field--error"), function (el) { el.classList.remove("field--error"); });
    Array.prototype.forEach.call(row.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    list.appendChild(row);
    var count = renumber(editor);
    row.querySelector("input").focus();
    announce(editor, "Creator " + count + " added.");
  }

  function removeRow(editor, button) {
    var row = button.closest("[data-creator-row]");
    var rows = Array.prototype.slice.call(editor.querySelectorAll("[data-creator-row]"));
    if (rows.length === 1) {
      // The last row is emptied, not removed: it is the model "Add a creator" copies.
      Array.prototype.forEach.call(row.querySelectorAll("input"), function (el) { el.value = ""; });
      row.querySelector("input").focus();
      announce(editor, "Creator cleared.");
      return;
    }
    var position = rows.indexOf(row);
    row.remove();
    var count = renumber(editor);
    var remaining = editor.querySelectorAll("[data-creator-row]");
    var next = remaining[Math.min(position, remaining.length - 1)];
    (next ? next.querySelector("input") : editor.querySelector("[data-add-creator]")).focus();
    announce(editor, "Creator removed; " + count + " left.");
  }

  // A form sent back with errors: bring it into view and put the cursor on the first problem,
  // so nobody has to hunt for the message below the fold.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("details[open] [aria-invalid='true'], .decision-form [aria-invalid='true']");
    var summary = document.querySelector("details[open] .form-errors, .decision-form .form-errors");
    var target = invalid || summary;
    if (!target) return;
    if (!invalid) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    // "instant": the site's smooth scrolling would leave the page mid-way for a moment.
    target.scrollIntoView({ block: "center", behavior: "instant" });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-creator], [data-remove-creator]");
    if (!button) return;
    var editor = button.closest("[data-creators]");
    if (!editor) return;
    event.preventDefault();
    if (button.hasAttribute("data-add-creator")) addRow(editor);
    else removeRow(editor, button);
  });
})();
