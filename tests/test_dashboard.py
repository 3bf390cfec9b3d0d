"""The dashboard's figures, on a small set of cases worked out by hand; and its cost."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from workflow import cases, responses, reviews
from workflow.dashboard import Filters, figures, percentile, stage_stays
from workflow.command import ANY_VERSION

DAY = timedelta(days=1)
T0 = datetime(2020, 1, 1)


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def test_stays_per_stage_median_and_90th_percentile():
    moves = [  # case 1: 10 days reported, 30 in investigation; case 2: 20 reported; case 3: 40 reported
        (1, "reported", T0), (1, "investigation", T0 + 10 * DAY), (1, "attribution", T0 + 40 * DAY),
        (2, "reported", T0), (2, "investigation", T0 + 20 * DAY),
        (3, "reported", T0), (3, "investigation", T0 + 40 * DAY),
    ]
    durations, last = stage_stays(moves)
    assert durations == {"reported": (3, 20.0, 40.0), "investigation": (1, 30.0, 30.0)}
    assert last[1] == ("attribution", T0 + 40 * DAY)
    assert percentile(list(range(1, 11)), 0.9) == 9 and percentile([5], 0.9) == 5


@pytest.fixture
def hand_built(db, cast, make_case, move, satisfy):
    """Four cases: two reported (one in Iraq, 2016), one in legal consequence with an adopted
    binding response and a blocked one, one closed after evaluation finding no repeat use;
    one gate rejected once."""
    reported = make_case()
    make_case(country="Iraq", occurred_on=datetime(2016, 3, 8).date())
    legal = make_case()
    move(legal, "legal_consequence")
    binding = run(db, responses.propose_response, cast["leo"], legal, expected_version=ANY_VERSION,
                  level="national", tool="legal", actor_name="Judges", description="warrants",
                  legally_binding=True).id
    run(db, responses.change_status, cast["leo"], legal, expected_version=ANY_VERSION,
        response_id=binding, status="adopted", reason="issued")
    vetoed = run(db, responses.propose_response, cast["leo"], legal, expected_version=ANY_VERSION,
                 level="international", tool="diplomatic", actor_name="Security Council",
                 description="draft resolution").id
    run(db, responses.change_status, cast["leo"], legal, expected_version=ANY_VERSION,
        response_id=vetoed, status="blocked", reason="vetoed")
    closed = make_case()
    move(closed, "closed")
    satisfy(reported, "investigation")
    request = run(db, reviews.request_gate, cast["ivy"], reported, expected_version=ANY_VERSION,
                  target="investigation").id
    run(db, reviews.reject_gate, cast["sue"], request, expected_version=ANY_VERSION,
        reason="not yet")
    return {"reported": reported, "legal": legal, "closed": closed}


def test_figures_on_hand_built_cases(db, cast, hand_built):
    result = figures(db.sessions(), cast["sue"], Filters(stall_days=0))
    assert result.funnel == {"reported": 2, "legal_consequence": 1, "closed": 1}
    assert {row[1] for row in result.stalled} == {hand_built["reported"], hand_built["legal"], 2}
    rejections = {(a, b): (n, r) for a, b, n, r, _ in result.rejections}
    assert rejections[("reported", "investigation")] == (3, 1)  # legal and closed passed, one rejected
    assert rejections[("evaluation", "closed")] == (1, 0)
    assert result.coverage[("national", "legal")] == {"adopted": 1}
    assert result.coverage[("international", "diplomatic")] == {"blocked": 1}
    assert result.coverage[("multilateral", "economic")] == {"adopted": 1}  # the closed case's
    assert (result.attributed, result.binding) == (2, 2)
    assert result.repeat_use == [("State air force unit", 1, 0)]
    assert set(result.durations) >= {"reported", "investigation", "attribution", "legal_consequence",
                                     "implementation", "evaluation"}


def test_figures_are_filtered_by_what_the_user_sees_and_by_year_and_country(db, cast, hand_built):
    iraq = figures(db.sessions(), cast["sue"], Filters(country="iraq"))
    assert iraq.funnel == {"reported": 1} and iraq.attributed == 0
    assert figures(db.sessions(), cast["sue"], Filters(year=2015)).funnel == {}
    assert sum(figures(db.sessions(), cast["sue"], Filters(year=2016)).funnel.values()) == 4
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], hand_built["legal"], expected_version=ANY_VERSION,
                            user_id=cast["leo"].id)
    leo = figures(db.sessions(), cast["leo"], Filters())
    assert leo.funnel == {"reported": 2, "closed": 1} and ("national", "legal") not in leo.coverage


def count_queries(db, user) -> int:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.sessions() as session:
            figures(session, user, Filters())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_the_query_count_does_not_grow_with_the_number_of_cases(db, cast, make_case, move):
    first = make_case()
    move(first, "attribution")
    few = count_queries(db, cast["sue"])
    for _ in range(6):
        move(make_case(), "legal_consequence")
    assert count_queries(db, cast["sue"]) == few


def test_dashboard_page_and_csv_exports(client, auth, cast, hand_built):
    auth.login("sue")
    page = client.get("/?stall_days=0").get_data(as_text=True)
    assert 'data-stage="reported">2<' in page and "<svg" in page and 'role="img"' in page
    assert "2 of 2 (100%)" in page
    csv_text = client.get("/dashboard/funnel.csv").get_data(as_text=True)
    assert csv_text.splitlines()[:2] == ["stage,cases", "reported,2"]
    assert client.get("/dashboard/nothing.csv").status_code == 404
    response = client.get("/cases/export.csv?stage=reported")
    assert response.status_code == 200, response.get_data(as_text=True)[-600:]
    listing = response.get_data(as_text=True).splitlines()
    assert listing[0].startswith("reference,title") and len(listing) == 3
