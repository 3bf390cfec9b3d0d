"""The insight page: each figure on a small record worked out by hand, within need-to-know, with
its CSV, and the statements it costs whatever the number of cases."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from plans import page_statements, sql
from sqlalchemy import update
from webclient import spreadsheet
from test_arabic_pages import leftover_english

from models.user import User

from tests.test_consistency import attribute
from views.insight import TABLES
from workflow import cases, evaluations, insight, registers, responses, reviews
from workflow.command import ANY_VERSION
from vocabulary import FACTORS, PRESSURES

pytestmark = pytest.mark.both_databases

#: The five ways the shipped record names the Syrian government forces, oldest incident first.
SPELLINGS = ("Syrian Arab Air Force", "Syrian Arab Air Force (Tiger Forces)",
             "Syrian Arab Armed Forces (63rd Helicopter Brigade)", "Syrian Arab Republic",
             "Syrian government forces")
SYRIA_DATES = (date(2014, 4, 21), date(2015, 3, 16), date(2017, 3, 30), date(2017, 4, 4),
               date(2018, 4, 7))
#: What `move` attributes on the way to legal consequence (workflow/demo.py): a party of its own.
DEMO_PARTY = "State air force unit"


def run(db, command, *args, **kwargs):
    with db.transaction() as session:
        return command(session, *args, **kwargs)


def respond(db, cast, case_id: int, level: str, tool: str, *, status: str = "adopted",
            decided_on: date | None = None, binding: bool = False, strategies=(), actors=(),
            actor_name: str = "UN Security Council", blocked_by: str = "", blocked_in: str = "") -> None:
    """A response proposed by leo and, unless it stays proposed, moved to `status`."""
    response = run(db, responses.propose_response, cast["leo"], case_id, expected_version=ANY_VERSION,
                   level=level, tool=tool, actor_name=actor_name, description="A response.",
                   legally_binding=binding, strategies=strategies, actors=actors)
    if status != "proposed":
        run(db, responses.change_status, cast["leo"], case_id, expected_version=ANY_VERSION,
            response_id=response.id, status=status, reason="Vetoed." if status == "blocked" else "Voted.",
            decided_on=decided_on, blocked_by=blocked_by, blocked_in=blocked_in)


def evaluate(db, cast, case_id: int, ratings: dict, pressures: dict) -> None:
    run(db, evaluations.record_evaluation, cast["ana"], case_id, expected_version=ANY_VERSION,
        ratings=ratings, rationales={f: "As observed." for f in FACTORS}, pressures=pressures,
        pressure_rationales={p: "As observed." for p in PRESSURES}, repeat_use="unknown",
        recommendation="continue")


def close_unfounded(db, cast, satisfy, case_id: int) -> None:
    """Reported → investigation → closed: use not confirmed, so no consequence at all."""
    for target in ("investigation", "closed"):
        satisfy(case_id, target)
        request_id = run(db, reviews.request_gate, cast["ivy"], case_id, expected_version=ANY_VERSION,
                         target=target).id
        run(db, reviews.approve_gate, cast["sue"], request_id, expected_version=ANY_VERSION, reason="ok")


@pytest.fixture
def record(db, cast, make_case, move, satisfy):
    """Five chlorine attacks attributed to the Syrian government under its five names (ian on the
    team of the last two); one sulfur mustard attack attributed to the Islamic State; a sarin case
    closed as unfounded; a case closed with a binding response and one in evaluation (both through
    the demonstration's gates, which attribute them to a party of their own)."""
    with db.transaction() as session:
        registers.seed(session)
    syria = []
    for n, (name, day) in enumerate(zip(SPELLINGS, SYRIA_DATES)):
        case_id = make_case(occurred_on=day)
        if n < 3:
            move(case_id, "legal_consequence")
        attribute(db, cast, case_id, name, "state")
        syria.append(case_id)
    for case_id in syria[3:]:
        run(db, cases.set_member, cast["sue"], case_id, expected_version=ANY_VERSION,
            user_id=cast["ian"].id, case_role="investigator")
    s1, s2, s3 = syria[:3]
    respond(db, cast, s1, "multilateral", "political", decided_on=date(2014, 6, 1),
            strategies=["institutions"], actors=["United States", "France"])
    respond(db, cast, s1, "international", "legal", status="blocked", decided_on=date(2014, 7, 1),
            strategies=["judicial"], blocked_by="Russian Federation")
    respond(db, cast, s2, "multilateral", "legal", status="blocked", decided_on=date(2015, 5, 1),
            strategies=["judicial"], blocked_by="Russian Federation", blocked_in="UN Security Council")
    respond(db, cast, s3, "international", "economic", decided_on=date(2017, 6, 1), binding=True,
            strategies=["zero_tolerance", "coalitions"], actors=["European Union"])
    respond(db, cast, s3, "national", "diplomatic", status="proposed", strategies=["coalitions"],
            actor_name="29 states and NATO")
    group = make_case(occurred_on=date(2016, 8, 21), suspected_agent="sulfur_mustard")
    attribute(db, cast, group, "Islamic State", "non_state_group")
    unfounded = make_case(occurred_on=date(2013, 8, 21), suspected_agent="sarin")
    close_unfounded(db, cast, satisfy, unfounded)
    bound = make_case(occurred_on=date(2019, 5, 1))
    move(bound, "closed")  # evaluated: every factor strengthened, every pressure receding
    evaluated = make_case(occurred_on=date(2019, 2, 1))
    move(evaluated, "evaluation")
    evaluate(db, cast, evaluated, {f: "weakened" for f in FACTORS}, {p: "rising" for p in PRESSURES})
    evaluate(db, cast, evaluated, {"taboo": "weakened", "norms": "unchanged", "lack_of_benefit": "strengthened",
                                   "deterrence": "unchanged"},
             {"repeated_violation": "rising", "perceived_utility": "unchanged", "ease_of_access": "rising",
              "diminished_attention": "receding"})
    return {"syria": syria, "group": group, "unfounded": unfounded, "bound": bound, "evaluated": evaluated}


def figures(db, user, **options) -> insight.Insight:
    with db.sessions() as session:
        return insight.insight(session, user, **options)


def parties(result: insight.Insight) -> dict:
    return {p.name: (p.uses, p.attributions, p.cells, p.in_force, p.blocked, p.repeat_after_binding)
            for p in result.parties}


def test_each_figure_equals_the_record_counted_by_hand(db, cast, record):
    result = figures(db, cast["sue"])
    assert parties(result) == {
        # Five names, one state; one use (2018) came after the binding response of 1 June 2017 on
        # an earlier use; the 2017-04-04 use came before it, and the 2014 response was not binding.
        "Syrian Arab Republic": (5, 5, {("multilateral", "political"): 1, ("international", "economic"): 1},
                                 2, 2, 1),
        # Its attributions on the way to legal consequence of the first three Syrian cases were
        # superseded; its two uses each had the demonstration's binding response, decided today.
        DEMO_PARTY: (2, 5, {("multilateral", "economic"): 2}, 2, 0, 0),
        "Islamic State in Iraq and the Levant": (1, 1, {}, 0, 0, 0),
    }
    assert [p.name for p in result.parties] == ["Syrian Arab Republic", DEMO_PARTY,
                                                "Islamic State in Iraq and the Levant"]
    # The same perpetrator met different responses: each cell answered one of its five uses;
    # the demonstration party's one cell answered both of its uses.
    syria, demo, _group = result.parties
    assert syria.answered == {("multilateral", "political"): 1, ("international", "economic"): 1}
    assert syria.uneven == [("multilateral", "political"), ("international", "economic")]
    assert (demo.answered, demo.uneven) == ({("multilateral", "economic"): 2}, [])
    # Met a binding consequence: one Syrian use (the 2017 sanctions), both of the demonstration's.
    assert (syria.bound, demo.bound) == (1, 2)
    # Every response of the record names a strategy.
    assert result.unmarked == {}
    assert result.blocked_by_forum == [("UN Security Council", 1), (None, 1)]
    assert result.blocked_by_blocker == [("Russian Federation", 2)]
    assert (result.closed, result.unbound_total) == (2, 1)
    assert [row[0] for row in result.unbound] == [record["unfounded"]]
    # 2019: the closed case (all strengthened, all receding) and the latest evaluation of the other.
    assert result.trends == {2019: {
        "taboo": (0.0, 2), "norms": (0.5, 2), "lack_of_benefit": (1.0, 2), "deterrence": (0.5, 2),
        "repeated_violation": (0.0, 2), "perceived_utility": (-0.5, 2), "ease_of_access": (0.0, 2),
        "diminished_attention": (-1.0, 2)}}
    assert result.levels == {"national": 1, "multilateral": 4, "international": 2}
    assert result.strategies == {
        "zero_tolerance": {"international": 1, "multilateral": 2}, "coalitions": {"national": 1, "international": 1},
        "technical_gaps": {}, "institutions": {"multilateral": 1},
        "judicial": {"international": 1, "multilateral": 1}, "civil_society": {}}
    # Two actors (the United States and France); one (the Council, the EU); none from the register
    # ("29 states and NATO", and the demonstration's "Regional council" twice).
    assert result.coalitions == [(0, 3), (1, 3), (2, 1)]
    assert result.timeline == {2013: {"sarin": 1}, 2014: {"chlorine": 1}, 2015: {"chlorine": 1},
                               2016: {"sulfur_mustard": 1}, 2017: {"chlorine": 2},
                               2018: {"chlorine": 1}, 2019: {"chlorine": 2}}
    assert result.agents == ["chlorine", "sarin", "sulfur_mustard"]


def test_an_investigator_on_some_cases_sees_only_their_numbers(db, cast, record):
    """ian is on the team of the last two Syrian uses only: the binding response on an earlier
    use is not his to see, so neither is the repeat use after it."""
    result = figures(db, cast["ian"])
    assert parties(result) == {"Syrian Arab Republic": (2, 2, {}, 0, 0, 0)}
    assert (result.blocked_by_forum, result.blocked_by_blocker) == ([], [])
    assert (result.closed, result.unbound_total, result.unbound) == (0, 0, [])
    assert (result.trends, result.levels, result.coalitions) == ({}, {}, [])
    assert result.timeline == {2017: {"chlorine": 1}, 2018: {"chlorine": 1}}
    assert figures(db, cast["out"]).parties == []


def test_the_page_shows_the_figures_and_each_csv_has_its_header(client, auth, cast, record):
    assert auth.login("ian").status_code == 302
    page = client.get("/insight").get_data(as_text=True)
    assert 'data-nav="insight"' in page and "Syrian Arab Republic" in page
    assert 'data-testid="need-to-know"' in page  # ian counts only his teams' cases, and is told so
    assert "Russian Federation" not in page and "Islamic State" not in page
    assert auth.login("sue").status_code == 302
    page = client.get("/insight").get_data(as_text=True)
    assert 'data-cell="international-economic" data-uneven' in page and "Russian Federation" in page
    assert 'data-testid="need-to-know"' not in page
    expected = {"parties": ["party", "uses", "attributions", "bound_uses", "national:military"],
                "blocked_by_forum": ["forum", "blocked"], "blocked_by_blocker": ["blocked_by", "blocked"],
                "unbound": ["reference", "title", "occurred_on", "outcome"],
                "trends": ["year", "measure", "average", "ratings"],
                "strategies": ["strategy", "level", "responses"], "levels": ["level", "responses"],
                "coalitions": ["actors", "responses"], "timeline": ["year", "agent", "cases"],
                "places": ["country", "name", "cases"]}
    assert set(expected) == set(TABLES)
    for table, header in expected.items():
        response = client.get(f"/insight/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv", table
        rows = list(csv.reader(io.StringIO(spreadsheet(response))))
        assert rows[0][:len(header)] == header, table
    rows = list(csv.reader(io.StringIO(spreadsheet(client.get("/insight/parties.csv")))))
    assert rows[0][-4:] == ["in_force", "blocked", "repeat_after_binding", "uneven_cells"]
    assert rows[1][:4] == ["Syrian Arab Republic", "5", "5", "1"]
    assert rows[1][-4:] == ["2", "2", "1", "multilateral:political;international:economic"]
    assert client.get("/insight/nothing.csv").status_code == 404


def test_the_map_shades_the_countries_of_the_cases_each_may_see(client, auth, cast, record, make_case):
    make_case(country="GB")  # not on ian's team
    assert auth.login("sue").status_code == 302
    drawn = client.get("/insight/map.svg")
    assert drawn.status_code == 200 and drawn.mimetype == "image/svg+xml"
    svg = drawn.get_data(as_text=True)
    assert 'class="sy country map-element color-0' in svg and 'class="gb country map-element color-0' in svg
    assert 'class="fr country map-element color-0' not in svg
    assert "<script" not in svg and 'href="http' not in svg  # nothing fetched from elsewhere
    page = client.get("/insight").get_data(as_text=True)
    assert 'src="/insight/map.svg"' in page and 'data-country="GB"' in page
    assert auth.login("ian").status_code == 302
    svg = client.get("/insight/map.svg").get_data(as_text=True)
    assert 'class="sy country map-element color-0' in svg and 'class="gb country map-element color-0' not in svg


def test_the_page_with_its_figures_speaks_arabic(client, auth, db, record):
    with db.transaction() as session:
        session.execute(update(User).values(locale="ar"))
    assert auth.login("sue").status_code == 302
    page = client.get("/insight").get_data(as_text=True)
    assert "Syrian Arab Republic" in page and 'data-cell="international-economic"' in page
    assert leftover_english(page) == []


def test_an_admin_sees_no_insight(client, auth, record):
    assert auth.login("adm").status_code == 302
    assert client.get("/insight").status_code == 403
    assert client.get("/insight/parties.csv").status_code == 403


@pytest.mark.parametrize("username", ["sue", "ivy"])
def test_the_page_reads_as_many_statements_for_3_cases_as_for_30(client, auth, db, cast, make_case,
                                                                 username):
    with db.transaction() as session:
        registers.seed(session)
    assert auth.login(username).status_code == 302
    client.get("/insight")  # what a first page reads once (the signed-in user's settings)
    counts, made = [], 0
    for total in (3, 30):
        for n in range(made, total):
            case_id = make_case(occurred_on=date(2013 + n % 10, 4, 4))
            attribute(db, cast, case_id, SPELLINGS[n % len(SPELLINGS)], "state")
        made = total
        counts.append(len(sql(page_statements(db, client, "/insight"))))
    assert counts[0] == counts[1]
