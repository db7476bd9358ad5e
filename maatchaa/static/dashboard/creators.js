// Outreach drafts: copy the draft to the clipboard, and keep the mailto: link in step with edits.
// Plain JavaScript, no build step; without it the draft is still there to select and copy by hand.
(function () {
  "use strict";

  var draft = document.querySelector("[data-draft]");
  if (!draft) return;
  var subject = draft.querySelector("[data-draft-subject]");
  var body = draft.querySelector("[data-draft-body]");
  var mailto = draft.querySelector("[data-draft-mailto]");
  var to = draft.querySelector("[data-draft-to]");
  var copyButton = draft.querySelector("[data-copy-draft]");
  var status = draft.querySelector("[data-copy-status]");

  function text() {
    return "Subject: " + subject.value + "\n\n" + body.value;
  }

  function refreshMailto() {
    if (!mailto || !to) return;
    var addresses = to.textContent.split(",").map(function (a) { return encodeURIComponent(a.trim()).replace(/%40/g, "@"); });
    mailto.href = "mailto:" + addresses.join(",") + "?subject=" + encodeURIComponent(subject.value) +
      "&body=" + encodeURIComponent(body.value);
  }

  function copied(ok) {
    status.textContent = ok ? "Copied: paste it into your email." : "Could not copy: select the text and copy it.";
  }

  function fallbackCopy() {
    var area = document.createElement("textarea");
    area.value = text();
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    copied(ok);
  }

  subject.addEventListener("input", refreshMailto);
  body.addEventListener("input", refreshMailto);
  copyButton.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text()).then(function () { copied(true); }, fallbackCopy);
    } else {
      fallbackCopy();
    }
  });
})();
