// The API reference: Swagger UI over the document this server describes itself with.
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    // Nothing is sent to an outside validator.
    validatorUrl: null
  });
})();
