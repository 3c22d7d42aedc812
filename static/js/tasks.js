// The task list: "All on this page" ticks every row, and the bar says how many are ticked.
(function () {
  var all = document.querySelector("[data-tick-all]");
  var count = document.querySelector("[data-ticked-count]");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-tick]"));
  if (!all || !boxes.length) return;
  var template = count.dataset.template || "";
  function update() {
    var n = boxes.filter(function (b) { return b.checked; }).length;
    all.checked = n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
    count.textContent = n ? template.replace("{n}", n) : "";
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (b) { b.checked = all.checked; });
    update();
  });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
  update();
})();
