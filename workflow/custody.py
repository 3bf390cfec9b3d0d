"""Chain of custody: is it unbroken, and where does it break (DESIGN §4)?

A chain is unbroken when it starts with `collected` and custody only passes by recorded
transfers: each transfer (or return) leaves from the holder of the moment, and a receipt
follows a transfer to the same person.
"""
from __future__ import annotations

from workflow.words import _, inline

HANDOVERS = ("transferred", "returned")


def chain_breaks(events) -> dict[int, str]:
    """The events (in time order) where the chain breaks, with why, keyed by event id."""
    breaks: dict[int, str] = {}
    holder, expected_receiver = None, None
    for position, event in enumerate(events):
        if position == 0 and event.action != "collected":
            breaks[event.id] = _("the chain starts with '%(action)s', not 'collected'",
                                  action=inline(event.action))
            # Follow on from whoever appears here, so later events are judged on their own.
            holder = event.from_holder or event.to_holder
            if event.action not in HANDOVERS:
                continue
        if event.action == "collected":
            holder = event.to_holder or event.from_holder
        elif event.action in HANDOVERS:
            if event.from_holder != holder:
                breaks.setdefault(event.id, _("%(action)s from %(giver)s, but %(holder)s held it",
                                              action=inline(event.action),
                                              giver=event.from_holder or _("nobody"),
                                              holder=holder or _("nobody")))
            holder = expected_receiver = event.to_holder
        elif event.action == "received":
            if expected_receiver is None or event.to_holder != expected_receiver:
                breaks.setdefault(event.id, _("gap: received by %(receiver)s with no recorded transfer "
                                              "to them", receiver=event.to_holder or _("nobody")))
            holder, expected_receiver = event.to_holder, None
        elif event.from_holder and event.from_holder != holder:
            breaks.setdefault(event.id, _("%(action)s by %(giver)s, but %(holder)s held it",
                                          action=inline(event.action), giver=event.from_holder,
                                          holder=holder or _("nobody")))
    return breaks


def current_holder(events) -> str:
    holder = ""
    for event in events:
        if event.action in ("collected", "received", *HANDOVERS):
            holder = event.to_holder or holder
    return holder
