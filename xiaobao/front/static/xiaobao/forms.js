// One behaviour for every form (see templates/_form_errors.html): the error summary gets the
// focus so a screen reader and a phone user land on it; fields with data-maxlength count as the
// user types and say when the limit is passed (nothing is cut: the server refuses with the
// field's own message); forms with data-confirm ask before a destructive action is submitted.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }

  Array.prototype.forEach.call(document.querySelectorAll("[data-maxlength]"), function (field) {
    var limit = parseInt(field.getAttribute("data-maxlength"), 10);
    var template = field.getAttribute("data-counter") || "{n} / {max}";
    var counter = document.createElement("small");
    counter.className = "counter muted";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    function update() {
      var n = Array.from(field.value).length;
      counter.textContent = template.replace("{n}", n).replace("{max}", limit);
      counter.classList.toggle("over", n > limit);
      field.setAttribute("aria-invalid", n > limit ? "true" : "false");
    }
    field.addEventListener("input", update);
    update();
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
