/* Segment builder: nested AND/OR groups of conditions, edited as plain form controls.
   The definition lives in the form's JSON field (#f-definition), which is what is saved;
   this script draws the builder from it, writes every change back, and asks the server
   for the live count and first page (POST /backoffice/segments/preview) a moment after
   each change. The server validates; a problem names the condition by its path
   ("conditions[1].conditions[0]"), which is highlighted here. Without JavaScript the JSON
   field and the Preview button do the same job. */
(function () {
  "use strict";

  var root = document.querySelector("[data-segment-builder]");
  var field = document.getElementById("f-definition");
  var preview = document.getElementById("segment-preview");
  if (!root || !field || !preview) {
    return;
  }
  var FIELDS = JSON.parse(root.getAttribute("data-fields"));
  var byField = {};
  FIELDS.forEach(function (f) { byField[f.field] = f; });
  var state;
  var timer = null;
  var uid = 0;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";
    } catch (error) {
      return "";
    }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function labelled(text, control) {
    var id = "sb-" + (++uid);
    control.id = id;
    return el("div", { "class": "field" }, [el("label", { "class": "field__label", "for": id, text: text }), control]);
  }

  function opSpec(condition) {
    var spec = byField[condition.field];
    return spec && spec.ops.filter(function (o) { return o.op === condition.op; })[0];
  }

  function defaultValue(op) {
    switch (op.kind) {
      case "none": return undefined;
      case "days": return 30;
      case "range": return { min: 0, max: 100 };
      case "date": return new Date().toISOString().slice(0, 10);
      case "events": return { events: [], within_days: null };
      case "choice":
      case "purpose": return op.choices.length ? String(op.choices[0][0]) : "";
      default: return [];
    }
  }

  function newCondition(name) {
    var spec = byField[name || "skills"];
    var op = spec.ops[0];
    var c = { field: spec.field, op: op.op };
    var v = defaultValue(op);
    if (v !== undefined) { c.value = v; }
    return c;
  }

  function select(options, value, multiple) {
    var s = el("select", { "class": "select" });
    if (multiple) { s.multiple = true; s.size = Math.min(6, Math.max(3, options.length)); }
    options.forEach(function (pair) {
      var o = el("option", { value: String(pair[0]), text: pair[1] });
      var chosen = multiple ? (value || []).map(String).indexOf(String(pair[0])) >= 0
                            : String(value) === String(pair[0]);
      if (chosen) { o.selected = true; }
      s.appendChild(o);
    });
    return s;
  }

  function selected(s, numeric) {
    return Array.prototype.filter.call(s.options, function (o) { return o.selected; })
      .map(function (o) { return numeric ? Number(o.value) : o.value; });
  }

  function numberInput(value, min, max) {
    var i = el("input", { "class": "input", type: "number", min: String(min), max: String(max), inputmode: "numeric" });
    if (value !== null && value !== undefined) { i.value = String(value); }
    return i;
  }

  function valueEditor(condition, op, changed) {
    var numeric = op.kind === "ids";
    var label = byField[condition.field].label;
    if (op.kind === "none") { return null; }
    if ((op.kind === "choices" || op.kind === "slugs" || op.kind === "ids") && op.choices.length) {
      var multi = select(op.choices, condition.value, true);
      multi.addEventListener("change", function () { condition.value = selected(multi, numeric); changed(); });
      return labelled(label + " (choose one or more)", multi);
    }
    if (op.kind === "choice" || op.kind === "purpose") {
      var single = select(op.choices, condition.value, false);
      single.addEventListener("change", function () { condition.value = single.value; changed(); });
      return labelled(label, single);
    }
    if (op.kind === "days") {
      var days = numberInput(condition.value, 1, 3650);
      days.addEventListener("input", function () { condition.value = Number(days.value); changed(); });
      return labelled("Days", days);
    }
    if (op.kind === "range") {
      var low = numberInput(condition.value.min, 0, 100);
      var high = numberInput(condition.value.max, 0, 100);
      var update = function () { condition.value = { min: Number(low.value), max: Number(high.value) }; changed(); };
      low.addEventListener("input", update);
      high.addEventListener("input", update);
      return el("div", { "class": "button-row" }, [labelled("From", low), labelled("To", high)]);
    }
    if (op.kind === "date") {
      var date = el("input", { "class": "input", type: "date", value: condition.value || "" });
      date.addEventListener("change", function () { condition.value = date.value; changed(); });
      return labelled("Date", date);
    }
    if (op.kind === "events") {
      var which = select(op.choices, condition.value.events, true);
      var within = numberInput(condition.value.within_days, 1, 3650);
      var sync = function () {
        condition.value = { events: selected(which, false),
                            within_days: within.value ? Number(within.value) : null };
        changed();
      };
      which.addEventListener("change", sync);
      within.addEventListener("input", sync);
      return el("div", { "class": "stack stack--sm" }, [
        labelled("Events (none chosen: any event)", which),
        labelled("Only events in the last … days (optional)", within)]);
    }
    // Free text: comma-separated (tags, sources, countries, time zones, unlisted skills).
    var text = el("input", { "class": "input", type: "text", value: (condition.value || []).join(", ") });
    text.addEventListener("input", function () {
      condition.value = text.value.split(",").map(function (s) { return s.trim(); })
        .filter(function (s) { return s; });
      changed();
    });
    var hint = { countries: " (two-letter codes, comma-separated)", zones: " (e.g. Europe/Berlin, comma-separated)" }[op.kind] || " (comma-separated)";
    return labelled(label + hint, text);
  }

  function conditionRow(condition, path, remove, changed) {
    var row = el("li", { "class": "segment-condition card card__body stack stack--sm", "data-path": path });
    var fieldSelect = select(FIELDS.map(function (f) { return [f.field, f.label]; }), condition.field, false);
    var op = opSpec(condition) || byField[condition.field].ops[0];
    var opSelect = select(byField[condition.field].ops.map(function (o) { return [o.op, o.label]; }), op.op, false);
    fieldSelect.addEventListener("change", function () {
      var fresh = newCondition(fieldSelect.value);
      Object.keys(condition).forEach(function (k) { delete condition[k]; });
      Object.assign(condition, fresh);
      render(); changed();
    });
    opSelect.addEventListener("change", function () {
      var next = byField[condition.field].ops.filter(function (o) { return o.op === opSelect.value; })[0];
      var before = opSpec(condition);
      condition.op = next.op;
      if (!before || before.kind !== next.kind) {
        var v = defaultValue(next);
        if (v === undefined) { delete condition.value; } else { condition.value = v; }
      }
      render(); changed();
    });
    var removeButton = el("button", { type: "button", "class": "button button--link button--sm", text: "Remove condition" });
    removeButton.addEventListener("click", function () { remove(); render(); changed(); });
    row.appendChild(el("div", { "class": "button-row" }, [labelled("Field", fieldSelect), labelled("Condition", opSelect)]));
    var editor = valueEditor(condition, op, changed);
    if (editor) { row.appendChild(editor); }
    if (condition.field === "skills") {
      var children = el("input", { type: "checkbox" });
      children.checked = condition.children !== false;
      children.addEventListener("change", function () {
        if (children.checked) { delete condition.children; } else { condition.children = false; }
        changed();
      });
      row.appendChild(labelled("Include child skills (e.g. PyTorch under Machine learning)", children));
    }
    row.appendChild(removeButton);
    return row;
  }

  function groupBox(group, path, depth, remove, changed) {
    var box = el("div", { "class": "segment-group stack stack--sm", "data-path": path, role: "group" });
    var match = select([["all", "All of these (AND)"], ["any", "Any of these (OR)"]], group.match, false);
    match.addEventListener("change", function () { group.match = match.value; changed(); });
    box.setAttribute("aria-label", depth === 1 ? "Segment conditions" : "Nested group");
    box.appendChild(labelled(depth === 1 ? "People who match" : "This group matches", match));
    var list = el("ol", { "class": "list-plain stack stack--sm" });
    group.conditions.forEach(function (item, index) {
      var childPath = (path ? path + "." : "") + "conditions[" + index + "]";
      var drop = function () { group.conditions.splice(index, 1); };
      if (item.match) {
        var li = el("li", {});
        li.appendChild(groupBox(item, childPath, depth + 1, drop, changed));
        list.appendChild(li);
      } else {
        list.appendChild(conditionRow(item, childPath, drop, changed));
      }
    });
    box.appendChild(list);
    var addCondition = el("button", { type: "button", "class": "button button--secondary button--sm", text: "Add condition" });
    addCondition.addEventListener("click", function () { group.conditions.push(newCondition()); render(); changed(); });
    var buttons = [addCondition];
    if (depth < 4) {
      var addGroup = el("button", { type: "button", "class": "button button--secondary button--sm", text: "Add group" });
      addGroup.addEventListener("click", function () {
        group.conditions.push({ match: group.match === "all" ? "any" : "all", conditions: [newCondition()] });
        render(); changed();
      });
      buttons.push(addGroup);
    }
    if (remove) {
      var removeGroup = el("button", { type: "button", "class": "button button--link button--sm", text: "Remove group" });
      removeGroup.addEventListener("click", function () { remove(); render(); changed(); });
      buttons.push(removeGroup);
    }
    box.appendChild(el("div", { "class": "button-row" }, buttons));
    return box;
  }

  function write() {
    field.value = JSON.stringify(state, null, 1);
  }

  function highlight() {
    root.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
    var problem = preview.querySelector("[data-problem-path]");
    var path = problem && problem.getAttribute("data-problem-path");
    if (path && path !== "segment") {
      var target = root.querySelector('[data-path="' + path.replace(/"/g, "") + '"]');
      if (target) { target.setAttribute("aria-invalid", "true"); }
    }
  }

  function refresh() {
    var body = new URLSearchParams();
    body.set("definition", field.value);
    fetch(root.getAttribute("data-preview-url"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" }
    }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      preview.innerHTML = html;  // our own server-rendered, autoescaped fragment
      highlight();
    }).catch(function () {
      preview.textContent = "The count could not be refreshed. Check your connection and try again.";
    });
  }

  function changed() {
    write();
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  function render() {
    root.innerHTML = "";
    root.appendChild(groupBox(state, "", 1, null, changed));
  }

  function load() {
    try {
      var parsed = JSON.parse(field.value || "{}");
      if (!parsed || !Array.isArray(parsed.conditions)) { throw new Error("shape"); }
      state = parsed;
      return true;
    } catch (error) {
      return false;
    }
  }

  if (!load()) { state = { match: "all", conditions: [] }; }
  render();
  var apply = document.querySelector("[data-apply-json]");
  if (apply) {
    apply.hidden = false;
    apply.addEventListener("click", function () {
      if (load()) { render(); refresh(); }
      else { preview.textContent = "The JSON could not be read; fix it and apply again."; }
    });
  }
}());
