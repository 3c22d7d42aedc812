// The header's language switcher takes effect on choosing; without scripts its button does.
(function () {
  var form = document.getElementById("language-switch");
  if (!form) return;
  var select = form.querySelector("select");
  form.querySelector("button").hidden = true;
  select.addEventListener("change", function () { form.submit(); });
})();
