// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Filters submit themselves when changed.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.classList && target.classList.contains("autosubmit") && target.form) {
      target.form.submit();
    }
  });

  // Removing something from the card asks first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // "Another item" on the purchase form: copy the empty line and number it.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-line]");
    if (!button) return;
    var container = document.getElementById("lines");
    var template = document.getElementById("line-template");
    var total = document.getElementById("id_" + container.dataset.prefix + "-TOTAL_FORMS");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var inputs = container.lastElementChild.querySelectorAll("input");
    if (inputs.length) inputs[0].focus();
  });
})();

(function () {
  "use strict";

  // Percent-encoding as the server writes it (RFC 3986: !'()* too; e-mail lines end in CRLF).
  function encode(text, channel) {
    var encoded = encodeURIComponent(text.replace(/\r\n/g, "\n")).replace(/[!'()*]/g, function (c) {
      return "%" + c.charCodeAt(0).toString(16).toUpperCase();
    });
    return channel === "email" ? encoded.replace(/%0A/g, "%0D%0A") : encoded;
  }

  // Today: the one-tap link (in the draft's own form) carries the message as it is being edited.
  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("textarea[data-draft]") || !area.form) return;
    var link = area.form.querySelector("a[data-link-template]");
    var template = link && link.getAttribute("data-link-template");
    if (template) {
      link.setAttribute("href", template.replace("RAPPORTDRAFTTEXT", encode(area.value, link.dataset.channel)));
    }
  });

  // A refused change (a date outside its window, a channel without consent) says why, in place.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    var text = event.detail.xhr && event.detail.xhr.responseText;
    if (!target || !text) return;
    var note = target.querySelector(".note.error");
    if (!note) {
      note = document.createElement("p");
      note.className = "note error";
      note.setAttribute("role", "alert");
      target.insertBefore(note, target.children[1] || null);
    }
    note.textContent = text;
  });
})();
