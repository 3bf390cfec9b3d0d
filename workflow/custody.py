"""Chain of custody: is it unbroken, and where does it break (DESIGN §4)?

A chain is unbroken when it starts with `collected` and custody only passes by recorded
transfers: each transfer (or return) leaves from the holder of the moment, and a receipt
follows a transfer to the same person.
"""
from __future__ import annotations

HANDOVERS = ("transferred", "returned")


def chain_breaks(events) -> dict[int, str]:
    """The events (in time order) where the chain breaks, with why, keyed by event id."""
    breaks: dict[int, str] = {}
    holder, expected_receiver = None, None
    for position, event in enumerate(events):
        if position == 0 and event.action != "collected":
            breaks[event.id] = f"the chain starts with '{event.action}', not 'collected'"
            # Follow on from whoever appears here, so later events are judged on their own.
            holder = event.from_holder or event.to_holder
            if event.action not in HANDOVERS:
                continue
        if event.action == "collected":
            holder = event.to_holder or event.from_holder
        elif event.action in HANDOVERS:
            if event.from_holder != holder:
                breaks.setdefault(event.id, f"{event.action} from {event.from_holder or 'nobody'}, "
                                            f"but {holder or 'nobody'} held it")
            holder = expected_receiver = event.to_holder
        elif event.action == "received":
            if expected_receiver is None or event.to_holder != expected_receiver:
                breaks.setdefault(event.id, f"gap: received by {event.to_holder or 'nobody'} "
                                            "with no recorded transfer to them")
            holder, expected_receiver = event.to_holder, None
        elif event.from_holder and event.from_holder != holder:
            breaks.setdefault(event.id, f"{event.action} by {event.from_holder}, "
                                        f"but {holder or 'nobody'} held it")
    return breaks


def current_holder(events) -> str:
    holder = ""
    for event in events:
        if event.action in ("collected", "received", *HANDOVERS):
            holder = event.to_holder or holder
    return holder
