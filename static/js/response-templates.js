// Optional: choosing a response template fills the form beside the picker at once (title,
// message, status, impact, components). Without this script "Use template" reloads the page
// with the form filled in by the server, so the page works the same without it.
(function () {
  "use strict";
  var pickers = document.querySelectorAll("form.template-picker[data-template-target]");
  for (var i = 0; i < pickers.length; i++) wire(pickers[i]);

  function wire(picker) {
    var target = document.getElementById(picker.getAttribute("data-template-target"));
    var source = document.getElementById(picker.getAttribute("data-template-data"));
    var select = picker.querySelector("select");
    var status = picker.querySelector("[role=status]");
    if (!target || !source || !select) return;
    var templates;
    try {
      templates = JSON.parse(source.textContent);
    } catch (error) {
      return;
    }
    select.addEventListener("change", function () {
      for (var j = 0; j < templates.length; j++) {
        if (templates[j].id === select.value) return apply(target, templates[j], status);
      }
    });
  }

  function setValue(form, name, value) {
    var field = form.elements.namedItem(name);
    if (!field || value === undefined || value === null) return;
    if (field.tagName === "SELECT") {
      for (var k = 0; k < field.options.length; k++) {
        if (field.options[k].value === value) { field.value = value; return; }
      }
      return;
    }
    field.value = value;
  }

  function apply(form, template, status) {
    if (template.error) {
      if (status) status.textContent = template.error;
      return;
    }
    if (template.title) setValue(form, "name", template.title);
    setValue(form, "body", template.body);
    setValue(form, "status", template.status);
    if (template.impact) setValue(form, "impact", template.impact);
    for (var c = 0; c < template.components.length; c++) {
      var id = template.components[c];
      var box = form.elements.namedItem("affects_" + id);
      if (box) box.checked = true;
      if (template.component_status) setValue(form, "status_" + id, template.component_status);
    }
    if (status) status.textContent = "Filled in from “" + template.name + "”: check it, then post.";
  }
})();
