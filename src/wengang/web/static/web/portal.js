// The confirmation form posts with htmx (confirm_card.html): the answer replaces the card in
// place. What htmx would otherwise leave silent is handled here, for forms with data-failed:
// - an answer that was redirected elsewhere (the session ended: the log-in page) is opened as
//   a page, as a browser submitting the form would, not swapped into the card;
// - no answer, or an HTTP error (a refused CSRF token, a server error), is said in the form.
// No inline script: the Content-Security-Policy allows our own files only.
(function () {
  function formOf(event) {  // the form that made the request (beforeSwap fires on the target)
    var detail = event.detail || {};
    var element = (detail.requestConfig && detail.requestConfig.elt) || detail.elt;
    return element && element.closest ? element.closest("form[data-failed]") : null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = formOf(event);
    if (!form || !event.detail.xhr.responseURL) return;
    var answered = new URL(event.detail.xhr.responseURL);
    var posted = new URL(form.getAttribute("hx-post"), window.location.href);
    if (answered.pathname !== posted.pathname) {
      event.detail.shouldSwap = false;
      window.location.assign(answered.href);
    }
  });

  function failed(event) {
    var form = formOf(event);
    if (!form) return;
    var line = form.querySelector("p.error[role=alert]");
    line.textContent = form.dataset.failed;
    line.hidden = false;
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
})();
