// Starts swagger-ui on /docs (helpdesk/api_docs.py): a file, not an inline script, so the
// page runs under the same Content-Security-Policy as the console.
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
