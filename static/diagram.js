// Draws the pathway diagram from the Mermaid source on the page (no inline script: CSP).
mermaid.initialize({startOnLoad: true, securityLevel: "strict"});
