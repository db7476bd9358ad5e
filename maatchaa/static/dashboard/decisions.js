// Maatchaa dashboard: shortlist, dismiss and restore a creator in place. The server redraws the card and
// names the creator in its message; the page keeps its scroll position and the keyboard focus stays on the
// card. Plain JavaScript, no build step; without it the forms still work (the page reloads at the card).
(function () {
  "use strict";

  var list = document.querySelector("ol.creators");
  if (!list || !window.fetch || !window.FormData) return;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var toast = document.getElementById("decision-status");
  var hideTimer = null;

  function announce(text, failed) {
    if (!toast) return;
    toast.textContent = text;
    toast.className = "toast" + (failed ? " failed" : "");
    toast.hidden = false;
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(function () { toast.hidden = true; }, 6000);
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button").forEach(function (b) { b.disabled = busy; });
  }

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.decide") || form.dataset.plain) return;
    event.preventDefault();
    var submitter = event.submitter;
    var data = new FormData(form);
    if (submitter && submitter.name) data.set(submitter.name, submitter.value);
    var card = form.closest("li.creator");
    setBusy(form, true);
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", "X-CSRFToken": csrf, Accept: "application/json" }
    })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) {
          announce(res.body.message || "That could not be saved; try again.", true);
          setBusy(form, false);
          return;
        }
        var holder = document.createElement("template");
        holder.innerHTML = (res.body.html || "").trim();
        var fresh = holder.content.firstElementChild;
        if (fresh) {
          card.replaceWith(fresh);
          var first = fresh.querySelector("form.decide button");
          if (first) first.focus({ preventScroll: true });
        } else {
          card.remove();
        }
        announce(res.body.message);
      })
      .catch(function () {
        // Whatever went wrong, the plain form still works: send it the ordinary way.
        form.dataset.plain = "1";
        setBusy(form, false);
        if (submitter && form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      });
  });
})();
