// Registration form helpers. htmx fetches the classifier's suggestions and the possible duplicates
// while the handler types (see complaints/register.html); this file lets one click put a suggestion
// into its field, marks the suggestions the form currently agrees with, and shows the helpers'
// "bad input" answers (HTTP 400 with a message) in place instead of dropping them.
(function () {
  "use strict";
  var form = document.querySelector("form.register-form");
  if (!form) { return; }

  // Inputs behind a field name: a <select>, or the checkboxes of a multiple choice.
  function inputs(name) {
    var el = form.elements.namedItem(name);
    if (!el) { return []; }
    if (el.tagName === "SELECT" || el.tagName === "INPUT") { return [el]; }
    return Array.prototype.slice.call(el);
  }

  function holds(name, value) {
    return inputs(name).some(function (el) {
      return el.tagName === "SELECT" ? el.value === value : el.checked && el.value === value;
    });
  }

  function apply(name, value) {
    inputs(name).forEach(function (el) {
      var changed = false;
      if (el.tagName === "SELECT") {
        var known = Array.prototype.some.call(el.options, function (o) { return o.value === value; });
        if (known && el.value !== value) { el.value = value; changed = true; }
      } else if (el.value === value && !el.checked) {
        el.checked = true;
        changed = true;
      }
      if (changed) { el.dispatchEvent(new Event("change", { bubbles: true })); }
    });
  }

  // A chip is "pressed" while its field holds its value: applied and kept, or chosen by hand.
  function sync() {
    form.querySelectorAll("[data-apply-field]").forEach(function (chip) {
      var on = holds(chip.dataset.applyField, chip.dataset.applyValue);
      chip.setAttribute("aria-pressed", on ? "true" : "false");
      chip.classList.toggle("applied", on);
    });
  }

  form.addEventListener("click", function (event) {
    var chip = event.target.closest("[data-apply-field]");
    if (chip) {
      apply(chip.dataset.applyField, chip.dataset.applyValue);
    } else if (event.target.closest("[data-apply-all]")) {
      form.querySelectorAll("[data-apply-field][data-first]").forEach(function (first) {
        apply(first.dataset.applyField, first.dataset.applyValue);
      });
    } else {
      return;
    }
    event.preventDefault();
    sync();
  });
  form.addEventListener("change", sync);
  document.body.addEventListener("htmx:afterSwap", sync);
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400 && event.target.closest(".live-panel")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
