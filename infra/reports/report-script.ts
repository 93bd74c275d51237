// The report page's own script, as text: it runs in the reviewer's browser after the inlined Chart.js and draws
// the charts from the report JSON embedded in the page. Plain ES2017, no modules, nothing fetched.

/** Browser-side code of the report page. */
export const reportScript = String.raw`
(function () {
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var t = report.totals;
  var colours = { allow: '#2da44e', deny: '#cf222e', sent: '#0969da', failed: '#bf8700' };
  var keys = ['allow', 'deny', 'sent', 'failed'];
  var spanMs = Date.parse(report.period.until) - Date.parse(report.period.since);
  var series = spanMs <= 3 * 86400000 ? t.byHour : t.byDay;
  function sorted(obj) { return Object.keys(obj).sort(); }
  function byEntries(obj) { return Object.keys(obj).sort(function (a, b) { return obj[b].entries - obj[a].entries; }).slice(0, 15); }
  function stacked(labels, obj) {
    return keys.map(function (k) { return { label: k, backgroundColor: colours[k], data: labels.map(function (l) { return obj[l][k]; }) }; });
  }
  var base = { animation: false, responsive: true, maintainAspectRatio: false };
  var stack = Object.assign({}, base, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } });
  function titled(opts, text) { return Object.assign({}, opts, { plugins: { title: { display: true, text: text } } }); }
  var timeLabels = sorted(series);
  var reasonLabels = Object.keys(t.byReason).sort(function (a, b) { return t.byReason[b] - t.byReason[a]; });
  var purposeLabels = byEntries(t.byPurpose);
  var campaignLabels = byEntries(t.byCampaign);
  window.reviewCharts = [
    new Chart(document.getElementById('chart-time'), { type: 'bar', data: { labels: timeLabels, datasets: stacked(timeLabels, series) }, options: titled(stack, spanMs <= 3 * 86400000 ? 'Entries per hour (UTC)' : 'Entries per day (UTC)') }),
    new Chart(document.getElementById('chart-reasons'), { type: 'bar', data: { labels: reasonLabels, datasets: [{ label: 'denials', backgroundColor: colours.deny, data: reasonLabels.map(function (r) { return t.byReason[r]; }) }] }, options: titled(Object.assign({}, base, { indexAxis: 'y' }), 'Deny reasons') }),
    new Chart(document.getElementById('chart-purpose'), { type: 'bar', data: { labels: purposeLabels, datasets: stacked(purposeLabels, t.byPurpose) }, options: titled(stack, 'By purpose') }),
    new Chart(document.getElementById('chart-campaign'), { type: 'bar', data: { labels: campaignLabels, datasets: stacked(campaignLabels, t.byCampaign) }, options: titled(stack, 'By campaign') }),
  ];
})();
`;
