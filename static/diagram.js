// Draws the pathway diagram from the Mermaid source on the page (no inline script: CSP),
// large enough to read: a bigger font, and the drawing as wide as its box allows.
mermaid.initialize({startOnLoad: true, securityLevel: "strict",
                    themeVariables: {fontSize: "20px"}, state: {useMaxWidth: true}});
