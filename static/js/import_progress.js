// The background import's progress bar: polls the job's progress every second and reloads
// the page (with the result) once the job has finished.
(function () {
  var card = document.getElementById("import-job");
  if (!card || card.dataset.finished === "1") return;
  var bar = document.getElementById("job-bar");
  var figures = document.getElementById("job-figures");
  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function tick() {
    fetch(card.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (p) {
        if (p.finished) { window.location.reload(); return; }
        bar.value = p.percent;
        var text = number.format(p.rows_done) + " / " + number.format(p.rows_total) + " · " +
          number.format(p.rows_per_second) + " rows/s";
        if (p.seconds_left !== null) text += " · " + number.format(p.seconds_left) + " s left";
        figures.textContent = text;
        window.setTimeout(tick, 1000);
      })
      .catch(function () { window.setTimeout(tick, 3000); });
  }
  window.setTimeout(tick, 500);
})();
