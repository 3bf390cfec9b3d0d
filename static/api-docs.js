// The API reference: Swagger UI over the document this server describes itself with.
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    // No links inside the operations' toggle buttons: a link in a button is reached by neither
    // keyboard nor screen reader as itself (axe: nested-interactive).
    deepLinking: false,
    // Nothing is sent to an outside validator.
    validatorUrl: null
  });
  // Swagger UI leaves its parameters' controls without a name: each takes its row's parameter.
  new MutationObserver(function () {
    root.querySelectorAll("tr[data-param-name] :is(select, input, textarea):not([aria-label])")
      .forEach(function (control) {
        control.setAttribute("aria-label", control.closest("tr").getAttribute("data-param-name"));
      });
  }).observe(root, {childList: true, subtree: true});
})();
