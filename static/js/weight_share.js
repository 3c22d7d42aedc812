// The scorecard editor: each signal's share of the total weight of the enabled signals,
// updated as weights are typed, signals switched on or off, or rows marked for deletion.
(function () {
  var rows = function () {
    return Array.prototype.slice.call(document.querySelectorAll(".inline-group tr.form-row:not(.empty-form)"))
      .filter(function (row) { return row.querySelector(".field-weight"); });
  };
  function weightOf(row) {
    var cell = row.querySelector(".field-weight");
    var input = cell.querySelector("input");
    var value = parseFloat(input ? input.value : cell.textContent.replace(",", "."));
    return isNaN(value) || value < 0 ? 0 : value;
  }
  function counts(row) {
    var enabled = row.querySelector(".field-enabled input[type=checkbox]");
    var img = row.querySelector(".field-enabled img");  // read-only: Django's yes/no icon
    var deleted = row.querySelector(".delete input[type=checkbox]");
    var on = enabled ? enabled.checked : !img || /yes/.test(img.getAttribute("src") || "");
    return on && !(deleted && deleted.checked);
  }
  function update() {
    var all = rows();
    var total = all.reduce(function (sum, row) { return sum + (counts(row) ? weightOf(row) : 0); }, 0);
    all.forEach(function (row) {
      var cell = row.querySelector(".field-weight");
      var share = cell.querySelector(".weight-share");
      if (!share) {
        share = document.createElement("span");
        share.className = "weight-share";
        cell.appendChild(share);
      }
      share.textContent = !counts(row) ? "–" : total ? Math.round(100 * weightOf(row) / total) + " %" : "0 %";
    });
  }
  document.addEventListener("input", update);
  document.addEventListener("change", update);
  document.addEventListener("formset:added", update);
  update();
})();
