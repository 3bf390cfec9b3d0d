"""Jinja filters and helpers that put codes and counts in words people read, and the links
between the pages of a list."""
from __future__ import annotations

from flask import Flask, request, url_for

from workflow.audit_log import event_name
from workflow.words import human, plural


def page_url(endpoint: str, anchor: str | None = None, **changes) -> str:
    """The URL of this page of `endpoint` with `changes` to its query (None drops a parameter):
    every filter, repeated ones included, stays as it is."""
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    path = request.view_args if request.endpoint == endpoint else {}
    return url_for(endpoint, _anchor=anchor, **{**(path or {}), **args})


def register(app: Flask) -> None:
    """`{{ code | human }}` → "Sulfur mustard"; `{{ n | plural('milestone') }}` → "1 milestone"."""
    app.jinja_env.filters["human"] = human
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["event_name"] = event_name
