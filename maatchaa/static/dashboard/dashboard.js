// Maatchaa dashboard: "Find Creators" starts a discovery run and follows it until it finishes.
// Plain JavaScript, no build step; every page works without it except the progress display.
(function () {
  "use strict";

  var statusBox = document.getElementById("discovery-status");
  if (!statusBox) return;

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var triggerUrl = statusBox.dataset.triggerUrl;
  var runsUrl = statusBox.dataset.runsUrl;
  var ACTIVE = ["queued", "running"];
  var POLL_MS = 1500;

  function show(text, state) {
    statusBox.hidden = false;
    statusBox.className = "status" + (state ? " " + state : "");
    statusBox.textContent = text;
  }

  // Buttons marked data-unavailable (a disconnected store) stay disabled whatever a run does.
  function buttons(disabled) {
    document.querySelectorAll("[data-discover]:not([data-unavailable])").forEach(function (b) { b.disabled = disabled; });
  }

  function describe(run) {
    if (run.status === "queued") return "Discovery queued: waiting for a worker to pick it up…";
    var done = run.products_done || 0, planned = run.products_planned || 0;
    var parts = ["Discovery running: " + done + " of " + planned + " product" + (planned === 1 ? "" : "s") + " searched"];
    if (run.matches_made !== undefined) parts.push(run.matches_made + " matching videos so far");
    return parts.join(", ") + "…";
  }

  function finished(run) {
    var ok = run.status === "succeeded";
    var text = ok
      ? "Discovery finished: " + (run.products_done || 0) + " product" + (run.products_done === 1 ? "" : "s") +
        " searched, " + (run.matches_made || 0) + " matching videos. Refreshing…"
      // Failed, partial and abandoned runs' messages start with their status and say what happened.
      : (run.message || "Discovery " + run.status + ".") + " Refreshing…";
    show(text, ok ? "done" : "failed");
    buttons(false);
    // Reload so that the match counts and last discovery dates come from the server.
    window.setTimeout(function () { window.location.reload(); }, ok ? 800 : 2500);
  }

  function poll(runId) {
    fetch(runsUrl + "/" + encodeURIComponent(runId), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { show("Could not read the run's progress: " + (res.body.message || "error"), "failed"); buttons(false); return; }
        var run = res.body.run || res.body;
        if (ACTIVE.indexOf(run.status) >= 0) {
          show(describe(run));
          window.setTimeout(function () { poll(runId); }, POLL_MS);
        } else {
          finished(run);
        }
      })
      .catch(function () {
        show("Lost contact with the server; retrying…", "failed");
        window.setTimeout(function () { poll(runId); }, POLL_MS * 2);
      });
  }

  function runIdFrom(body) {
    if (!body) return null;
    if (body.run_id) return body.run_id;
    if (body.run && body.run.id) return body.run.id;
    return body.id || null;
  }

  function trigger(button) {
    // One product: its own trigger (a run narrowed to it); all products: the guide's company-wide trigger.
    var url = triggerUrl, body = { company_id: button.dataset.companyId };
    if (button.dataset.shopDomain) body.shop_domain = button.dataset.shopDomain;
    if (button.dataset.productId) {
      url = "/products/" + encodeURIComponent(button.dataset.productId) + "/trigger-discovery";
      body = {};
    }
    buttons(true);
    show("Starting discovery…");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) { show(res.body.message || "Discovery could not start.", "failed"); buttons(false); return; }
        var runId = runIdFrom(res.body);
        if (runId) { poll(runId); } else { show(res.body.message || "Discovery started.", "done"); buttons(false); }
      })
      .catch(function () { show("Discovery could not start: the server did not answer.", "failed"); buttons(false); });
  }

  document.querySelectorAll("[data-discover]:not([data-unavailable])").forEach(function (button) {
    button.addEventListener("click", function () { trigger(button); });
  });

  // A run already in progress when the page loads is followed too.
  if (statusBox.dataset.activeRun) { buttons(true); poll(statusBox.dataset.activeRun); }
})();
