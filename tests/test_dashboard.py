"""The dashboard's figures, on a small set of cases worked out by hand, against the previous
implementation (every move read from the audit log) after each command that changes them;
and the statements it costs."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median

import pytest
from sqlalchemy import event, extract, func, select
from webclient import spreadsheet

from models.audit import AuditEvent
from models.case import Case
from models.gate_request import GateRequest
from models.response import Response
from workflow import audit, cases, countries, importer, permissions, responses, reviews
from workflow.clock import utcnow
from workflow.command import ANY_VERSION
from workflow.dashboard import Filters, figures

DAY = timedelta(days=1)
T0 = datetime(2020, 1, 1)
MOVES = ("case_opened", "gate_approved", "case_reopened", "history_imported")


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def previous_figures(session, user, filters: Filters, now: datetime) -> tuple:
    """Funnel, durations, stalled cases, coverage and rejections as the dashboard computed them
    before the stays and counts were kept: every move of every case read and walked in Python,
    the rest counted over the tables. A stay that an imported history ended is not measured
    (the case did not spend it here)."""
    ids = select(Case.id).where(permissions.visible_cases(user))
    if filters.year:
        ids = ids.where(extract("year", Case.occurred_on) == filters.year)
    if filters.country:
        ids = ids.where(Case.country == countries.wanted(filters.country))
    funnel = dict(session.execute(select(Case.state, func.count()).where(Case.id.in_(ids))
                                  .group_by(Case.state)).all())
    menu = session.execute(select(Response.level, Response.tool, Response.status, func.count())
                           .where(Response.case_id.in_(ids))
                           .group_by(Response.level, Response.tool, Response.status)).all()
    coverage = {}
    for level, tool, status, count in menu:
        coverage.setdefault((level, tool), {})[status] = count
    decided = dict(((source, target, decision), count) for source, target, decision, count in
                   session.execute(select(GateRequest.from_state, GateRequest.target,
                                          GateRequest.decision, func.count())
                                   .where(GateRequest.case_id.in_(ids))
                                   .group_by(GateRequest.from_state, GateRequest.target,
                                             GateRequest.decision)))
    rejections = sorted((source, target, approved + rejected, rejected)
                        for (source, target) in {(a, b) for a, b, _ in decided}
                        if (approved := decided.get((source, target, "approved"), 0))
                        + (rejected := decided.get((source, target, "rejected"), 0)))
    days, last = defaultdict(list), {}
    for case_id, stage, at, kind in session.execute(
            select(AuditEvent.case_id, AuditEvent.to_state, AuditEvent.at, AuditEvent.event_type)
            .where(AuditEvent.case_id.in_(ids), AuditEvent.event_type.in_(MOVES))
            .order_by(AuditEvent.case_id, AuditEvent.seq)):
        if case_id in last and kind != "history_imported":
            days[last[case_id][0]].append((at - last[case_id][1]).total_seconds() / 86400)
        last[case_id] = (stage, at)

    def p90(values):
        return sorted(values)[max(1, -(-90 * len(values) // 100)) - 1]
    durations = {stage: (len(v), median(v), p90(v)) for stage, v in days.items() if v}
    stalled = sorted((now - last[case_id][1]).days for case_id, state in session.execute(
        select(Case.id, Case.state).where(Case.id.in_(ids), Case.state != "closed"))
        if (now - last[case_id][1]).days >= filters.stall_days)
    return funnel, durations, stalled, coverage, rejections


def assert_as_before(db, user, filters: Filters = Filters(stall_days=0)) -> None:
    """The figures from the stays equal those the previous implementation computes."""
    now = utcnow() + 30 * DAY
    with db.sessions() as session:
        new = figures(session, user, filters, now=now, stalled_shown=None)
        funnel, durations, stalled, coverage, rejections = previous_figures(session, user, filters, now)
    assert new.funnel == funnel and new.coverage == coverage
    assert sorted(row[:4] for row in new.rejections) == rejections
    assert new.durations.keys() == durations.keys()
    for stage, (count, middle, p90) in durations.items():
        assert new.durations[stage] == (count, pytest.approx(middle, abs=1e-6),
                                        pytest.approx(p90, abs=1e-6)), stage
    assert sorted(row[0] for row in new.stalled) == stalled
    assert new.stalled_total.count == len(stalled)


class Clock:
    """The audit log's clock, set by the test: moves made at chosen days."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def read(db, user, filters: Filters, **options):
    """The figures, read in a session closed afterwards."""
    with db.sessions() as session:
        return figures(session, user, filters, **options)


def gate(db, cast, satisfy, case_id: int, target: str) -> None:
    """One gate: what it asks for recorded, requested by ivy, approved by sue."""
    satisfy(case_id, target)
    request_id = run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
                     target=target).id
    run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION, reason="ok")


@pytest.mark.both_databases
def test_days_per_stage_median_and_90th_percentile(db, cast, make_case, satisfy, monkeypatch):
    """Case 1: 10 days reported, 30 in investigation; case 2: 20 reported; case 3: 40 reported."""
    clock = Clock(T0)
    monkeypatch.setattr(audit, "utcnow", clock)
    one, two, three = make_case(), make_case(), make_case(country="Iraq")
    clock.now = T0 + 10 * DAY
    gate(db, cast, satisfy, one, "investigation")
    clock.now = T0 + 20 * DAY
    gate(db, cast, satisfy, two, "investigation")
    clock.now = T0 + 40 * DAY
    gate(db, cast, satisfy, one, "attribution")
    gate(db, cast, satisfy, three, "investigation")
    with db.sessions() as session:
        everyone = figures(session, cast["sue"], Filters())
        iraq = figures(session, cast["sue"], Filters(country="IRAQ"))
        team = figures(session, cast["ivy"], Filters())
    expected = {"reported": (3, 20.0, 40.0), "investigation": (1, 30.0, 30.0)}
    for result in (everyone, team):
        assert {stage: tuple(round(x, 6) for x in row) for stage, row in result.durations.items()} == expected
    assert {stage: tuple(round(x, 6) for x in row) for stage, row in iraq.durations.items()} == {
        "reported": (1, 40.0, 40.0)}
    idle = [(utcnow() - T0 - days * DAY).days for days in (20, 40, 40)]  # the longest idle first
    assert [row[0] for row in everyone.stalled] == idle
    assert_as_before(db, cast["sue"])


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
        response_id=vetoed, status="blocked", reason="vetoed", blocked_by="Russian Federation")
    closed = make_case()
    move(closed, "closed")
    satisfy(reported, "investigation")
    request = run(db, reviews.request_gate, cast["ivy"], reported, expected_version=ANY_VERSION,
                  target="investigation").id
    run(db, reviews.reject_gate, cast["sue"], request, expected_version=ANY_VERSION,
        reason="not yet")
    return {"reported": reported, "legal": legal, "closed": closed}


def test_figures_on_hand_built_cases(db, cast, hand_built):
    result = read(db, cast["sue"], Filters(stall_days=0))
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
    iraq = read(db, cast["sue"], Filters(country="iraq"))
    assert iraq.funnel == {"reported": 1} and iraq.attributed == 0
    assert read(db, cast["sue"], Filters(year=2015)).funnel == {}
    assert sum(read(db, cast["sue"], Filters(year=2016)).funnel.values()) == 4
    with db.transaction() as session:
        cases.remove_member(session, cast["sue"], hand_built["legal"], expected_version=ANY_VERSION,
                            user_id=cast["leo"].id)
    leo = read(db, cast["leo"], Filters())
    assert leo.funnel == {"reported": 2, "closed": 1} and ("national", "legal") not in leo.coverage


@pytest.mark.both_databases
def test_figures_equal_the_previous_implementation_after_every_command(db, cast, hand_built,
                                                                       make_case, move):
    """Supervisor (all cases), team members (their cases) and filters, after each change."""
    def check():
        for user in (cast["sue"], cast["ivy"], cast["leo"], cast["ana"]):
            assert_as_before(db, user)
        assert_as_before(db, cast["sue"], Filters(country="iraq", stall_days=0))
        assert_as_before(db, cast["sue"], Filters(year=2016, stall_days=30))
    check()
    run(db, reviews.reopen, cast["sue"], hand_built["legal"], expected_version=ANY_VERSION,
        target="investigation", reason="new evidence")
    check()
    run(db, reviews.reopen, cast["sue"], hand_built["closed"], expected_version=ANY_VERSION,
        target="evaluation", reason="repeat use reported")
    check()
    move(make_case(), "attribution")
    check()
    plan = importer.read_csv(
        b"source_id,title,occurred_on,country,place,suspected_agent,stage,investigating_body\n"
        b"x-1,Imported,2017-04-04,Syria,Khan Shaykhun,sarin,investigation,JIM\n")
    before = read(db, cast["sue"], Filters(stall_days=0), stalled_shown=None)
    with db.transaction() as session:
        importer.import_rows(session, plan.rows, cast["ivy"])
    check()
    after = read(db, cast["sue"], Filters(stall_days=0), stalled_shown=None)
    # The imported case stands in investigation since its import; it spent no time reported here.
    assert after.funnel["investigation"] == before.funnel["investigation"] + 1
    assert after.durations["reported"][0] == before.durations["reported"][0]
    assert ("Imported", "investigation") in {(row[3], row[4]) for row in after.stalled}


def count_statements(db, read) -> int:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with db.sessions() as session:
            read(session)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


@pytest.mark.both_databases
def test_the_statements_are_the_same_for_1_and_50_cases(db, cast, make_case, move):
    first = make_case()
    move(first, "attribution")
    users = ("sue", "ivy")
    filters = (Filters(), Filters(country="syria", year=2016))
    one = [count_statements(db, lambda s: figures(s, cast[u], f)) for u in users for f in filters]
    for n in range(49):
        case_id = make_case()
        if n % 5 == 0:
            move(case_id, "investigation")
    fifty = [count_statements(db, lambda s: figures(s, cast[u], f)) for u in users for f in filters]
    assert fifty == one


def test_dashboard_page_and_csv_exports(client, auth, cast, hand_built):
    auth.login("sue")
    page = client.get("/?stall_days=0").get_data(as_text=True)
    assert 'data-stage="reported">2<' in page and "<svg" in page and 'role="img"' in page
    assert "2 of 2 (100%)" in page
    csv_text = spreadsheet(client.get("/dashboard/funnel.csv"))
    assert csv_text.splitlines()[:2] == ["stage,cases", "reported,2"]
    assert client.get("/dashboard/nothing.csv").status_code == 404
    response = client.get("/cases/export.csv?stage=reported")
    assert response.status_code == 200, response.get_data(as_text=True)[-600:]
    listing = spreadsheet(response).splitlines()
    assert listing[0].startswith("reference,title") and len(listing) == 3
