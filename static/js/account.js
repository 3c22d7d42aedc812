// The account page's folded sections: a link to one opens it, the timeline loads when first
// opened (and its filter and page links load in place), and a form sent back with errors
// takes the focus. Without JavaScript every section still opens and the timeline is a page.
(function () {
  function openFromHash() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    var details = target && target.closest("details");
    if (details) details.open = true;
  }
  window.addEventListener("hashchange", openFromHash);
  openFromHash();

  var section = document.querySelector("[data-timeline]");
  if (section) {
    var body = section.querySelector(".timeline-body");
    var load = function (url) {
      var partial = url + (url.indexOf("?") < 0 ? "?" : "&") + "partial=1";
      fetch(partial, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) { body.innerHTML = html; section.dataset.loaded = "true"; })
        .catch(function () { section.dataset.loaded = "failed"; });
    };
    section.addEventListener("toggle", function () {
      if (section.open && !section.dataset.loaded) load(section.dataset.timeline);
    });
    if (section.open) load(section.dataset.timeline);
    body.addEventListener("click", function (event) {
      var link = event.target.closest(".timeline-kinds a, .pagination a");
      if (!link) return;
      event.preventDefault();
      load(link.getAttribute("href"));
    });
  }

  // A chart drawn while folded has no width: redraw it when its section opens.
  document.querySelectorAll("details").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open || !window.Plotly) return;
      d.querySelectorAll(".js-plotly-plot").forEach(function (el) { window.Plotly.Plots.resize(el); });
    });
  });

  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
})();
