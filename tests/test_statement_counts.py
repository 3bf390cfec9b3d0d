"""The case page reads a fixed, small number of statements, whatever the case holds; a gate
command reads what its checks count with the case."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from plans import page_plans, page_statements, plans, sent_statements, sql

from tests.test_case_pages import sign_in
from workflow import deterrence, evidence, reviews
from workflow.command import ANY_VERSION

#: The most statements the case page may send: one for each section and one for the signed-in
#: user with the navigation's counts, however many records the case holds.
CASE_PAGE_STATEMENTS = 12


@pytest.mark.both_databases
@pytest.mark.parametrize("username", ["sue", "ivy"])
def test_the_case_page_sends_a_fixed_small_number_of_statements(client, auth, cast, db, full_case, username):
    sign_in(auth, cast, username)
    sent = sql(page_statements(db, client, f"/cases/{full_case['case_id']}"))
    assert len(sent) <= CASE_PAGE_STATEMENTS, "\n".join(s.split("\n")[0][:120] for s in sent)


@pytest.mark.both_databases
def test_the_case_page_reads_as_many_statements_whatever_the_case_holds(
        client, auth, cast, db, make_case, move):
    small, large = make_case(), make_case()
    for case_id in (small, large):
        move(case_id, "attribution")
    ivy = cast["ivy"]
    with db.transaction() as session:
        items = []
        for n in range(5):
            item = evidence.add_evidence(session, ivy, large, expected_version=ANY_VERSION,
                                         kind="environmental_sample", title=f"Sample {n}")
            evidence.add_custody_event(session, ivy, large, expected_version=ANY_VERSION,
                                       evidence_id=item.id, action="collected",
                                       at=datetime(2018, 4, 21, 10), to_holder="ivy")
            evidence.add_lab_analysis(session, ivy, large, expected_version=ANY_VERSION,
                                      evidence_id=item.id, laboratory="Laboratory A",
                                      designated=True, result="sarin markers")
            deterrence.record_message(session, ivy, large, expected_version=ANY_VERSION,
                                      said_on=date(2018, 4, 22), speaker="Minister",
                                      audience="Council", summary=f"Statement {n}")
            items.append(item.id)
        evidence.record_finding(session, ivy, large, expected_version=ANY_VERSION,
                                kind="attribution", conclusion="inconclusive", cited_ids=items,
                                rationale="The samples do not name a party.")
    sign_in(auth, cast, "sue")
    counts = [len(sql(page_statements(db, client, f"/cases/{case_id}"))) for case_id in (small, large)]
    assert counts[0] == counts[1]


#: Tables that grow with the cases: a page of one case reads them only through an index.
GROWING = {"cases", "case_members", "case_suspects", "audit_events", "tasks", "evidence_items",
           "findings", "responses", "gate_requests", "deterrence_messages", "comments",
           "case_links", "case_stays", "case_figures", "notifications"}
#: What the navigation counts whole: the requests waiting for review, at most one per open case.
COUNTED_WHOLE = "SCAN gate_requests USING INDEX uq_gate_requests_one_pending"


def test_the_case_page_reads_no_whole_table_that_grows_with_the_cases(client, auth, cast, db, full_case):
    """By SQLite's plan of each of its statements: a SCAN of such a table (or of one inside a
    join it materializes whole, as it does LEFT JOIN (case_suspects JOIN register_entries))
    would make every case page slower with every case recorded."""
    sign_in(auth, cast, "sue")
    plans_of_page = page_plans(db, client, f"/cases/{full_case['case_id']}")
    assert scans(plans_of_page, GROWING, lambda step, _statement: step == COUNTED_WHOLE) == []


def scans(planned, tables, allowed) -> list[tuple[str, str]]:
    """The steps of `planned` (statements with their plans) that read one of `tables` whole,
    but those `allowed(step, statement)`, each with the start of its statement."""
    found = []
    for statement, plan in planned:
        for step in plan:
            scanned = re.match(r"SCAN (\w+?)(_\d+)?\b", step)
            if scanned and scanned.group(1) in tables and not allowed(step, statement):
                found.append((step, statement.split("\n")[0][:100]))
    return found


@pytest.mark.both_databases
def test_a_gate_command_counts_the_evidence_and_open_tasks_with_its_case(db, cast, make_case,
                                                                         satisfy):
    """The checks of active evidence and of the stage's open required tasks are read with the
    locked case, not by a statement each."""
    sent = gate_statements(db, cast, make_case, satisfy)
    assert not [s for s in sql(sent) if _outer_from(s) in ("evidence_items", "tasks")], sql(sent)


def test_a_gate_command_reads_no_whole_table_that_grows_with_the_users_or_the_cases(
        db, cast, make_case, satisfy, make_user):
    """By SQLite's plans: whom a request and its decision tell is found through indexes (the
    supervisors by their role), so a gate command costs the same with 5 users or 5,000. The
    one scan reads the chain from its end, for its head."""
    for n in range(3):
        make_user(f"extra{n}", "investigator")
    planned = plans(db, gate_statements(db, cast, make_case, satisfy))
    assert scans(planned, GROWING | {"users", "user_roles"}, lambda step, statement: (
        step == "SCAN audit_events" and "ORDER BY audit_events.seq DESC" in statement)) == []


@pytest.mark.both_databases
def test_a_gate_command_binds_no_value_that_chooses_a_partial_index(db, cast, make_case, satisfy):
    """A partial index (`WHERE decision = 'pending'`) serves a statement only when the planner
    sees the value: bound instead, SQLite prepares the statement again at every run (the
    locked read of the case took six times as long) and PostgreSQL's generic plan skips it."""
    predicates = {word for index in _partial_indexes(db) for word in re.findall(r"'(\w+)'", index)}
    bound = {value for statement, values in gate_statements(db, cast, make_case, satisfy)
             if " VALUES " not in statement  # a row's values choose no index
             for value in _values(values) if isinstance(value, str)}
    assert predicates and not predicates & bound, predicates & bound


def _partial_indexes(db) -> list[str]:
    """The WHERE clause of every partial index, as the database keeps it."""
    with db.engine.connect() as connection:
        if db.is_postgresql:
            query = "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indpred IS NOT NULL"
        else:
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '% WHERE %'"
        return [row[0] for row in connection.exec_driver_sql(query)]


def _values(values) -> list:
    """The values of a statement's parameters, however the driver was given them."""
    sets = values if isinstance(values, list) else [values]
    return [value for one in sets
            for value in (one.values() if isinstance(one, dict) else one or ())]


def gate_statements(db, cast, make_case, satisfy) -> list[tuple[str, object]]:
    """The statements a request to enter investigation and its approval send, with their values."""
    case_id = make_case()
    satisfy(case_id, "investigation")
    with sent_statements(db) as sent:
        with db.transaction() as session:
            request_id = reviews.request_gate(session, cast["ivy"], case_id,
                                              expected_version=ANY_VERSION,
                                              target="investigation").id
        with db.transaction() as session:
            reviews.approve_gate(session, cast["sue"], request_id, expected_version=ANY_VERSION,
                                 reason="fine")
    return sent


def _outer_from(statement: str) -> str | None:
    """The first table a SELECT reads outside its subqueries."""
    flat = " ".join(statement.split())
    while (inner := re.sub(r"\([^()]*\)", "", flat)) != flat:
        flat = inner
    found = re.match(r"SELECT\b.*?\bFROM (\w+)", flat)
    return found.group(1) if found else None
