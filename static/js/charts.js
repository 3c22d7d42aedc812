// Draw every chart on the page from the JSON the server embedded next to it.
// Kept out of the HTML so a strict content security policy can forbid inline scripts.
document.querySelectorAll("[data-chart]").forEach(function (el) {
  var data = document.getElementById(el.dataset.chart);
  if (!data || !window.Plotly) return;
  var fig = JSON.parse(data.textContent);
  window.Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true });
});
