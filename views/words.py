"""Jinja filters and helpers that put codes and counts in words people read, and the links
between the pages of a list."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Flask, current_app, request, url_for

from workflow.audit_log import event_name
from workflow.words import human, inline, plural


def page_url(endpoint: str, anchor: str | None = None, path: dict | None = None,
             **changes) -> str:
    """The URL of this page of `endpoint` with `changes` to its query (None drops a parameter):
    every filter, repeated ones included, stays as it is; `path` gives parts of its path."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    # The page may be shown by another view (a refused form re-renders the case page): the
    # parts of its path are those of this request that `endpoint`'s rule takes.
    wanted = {name for rule in current_app.url_map.iter_rules(endpoint) for name in rule.arguments}
    # A page shown by a view of another path (the case page answering a refused decision at
    # /reviews/<id>/approve) names the parts this request lacks in `path`.
    path = {**{name: value for name, value in (request.view_args or {}).items() if name in wanted},
            **(path or {})}
    # The query is written here, not by url_for: a parameter named as one of url_for's own
    # options (_anchor, _external, _method) or as a part of the path stays a parameter.
    query = urlencode(args, doseq=True)
    return (url_for(endpoint, **path) + (f"?{query}" if query else "")
            + (f"#{quote(anchor)}" if anchor else ""))


def register(app: Flask) -> None:
    """`{{ code | human }}` → "Sulfur mustard"; `{{ n | plural('milestone') }}` → "1 milestone"."""
    app.jinja_env.filters["human"] = human
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["inline"] = inline
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["event_name"] = event_name
