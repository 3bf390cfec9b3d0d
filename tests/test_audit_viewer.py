"""The audit viewer: who sees which events, keyset pages, verify now, exports, custody report."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from models.audit import AuditEvent
from webclient import post
from models.user import User
from workflow import accounts, audit, audit_log, evidence
from workflow.command import ANY_VERSION


def seqs(page: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page)]


def test_auditor_sees_everything_newest_first_in_keyset_pages(client, auth, cast, make_case, db):
    for n in range(130):
        with db.transaction() as session:
            audit.append(session, "note", None, details={"n": n})
    auth.login("aud")
    first = client.get("/audit").get_data(as_text=True)
    shown = seqs(first)
    assert len(shown) == 100 and shown == sorted(shown, reverse=True)
    older = re.search(r'href="(/audit\?before=\d+)"', first).group(1)
    second = seqs(client.get(older).get_data(as_text=True))
    assert second[0] == shown[-1] - 1 and len(second) == shown[-1] - 1
    assert "login" in client.get("/audit?type=login").get_data(as_text=True)


def test_supervisor_sees_only_case_events_and_filters_work(client, auth, cast, make_case, db):
    case_id = make_case()
    auth.login("sue")
    page = client.get("/audit").get_data(as_text=True)
    with db.sessions() as session:
        case_seqs = set(session.scalars(select(AuditEvent.seq).where(AuditEvent.case_id.is_not(None))))
    assert set(seqs(page)) == case_seqs
    table = page[page.index('data-testid="events"'):]
    assert "Signed in" not in table and "Account created" not in table
    by_ivy = seqs(client.get(f"/audit?case={case_id}&actor=ivy").get_data(as_text=True))
    assert by_ivy and all(s in case_seqs for s in by_ivy)
    assert seqs(client.get("/audit?from=2099-01-01").get_data(as_text=True)) == []
    assert client.get("/audit?from=yesterday").status_code == 400
    assert client.get("/audit?to=9999-12-31").status_code == 400  # the day after has no date
    assert post(client, "/audit/verify").status_code == 403


def test_verify_now_keeps_and_shows_the_result(client, auth, cast):
    auth.login("aud")
    assert "Never verified." in client.get("/audit").get_data(as_text=True)
    response = post(client, "/audit/verify", follow_redirects=True)
    page = response.get_data(as_text=True)
    banner = page[page.index('data-testid="verification"'):][:600]
    assert "Last verified" in banner and re.search(r"by <bdi>aud</bdi>:\s+<samp>OK \d+ events head=\w+; no signed checkpoint", banner)
    # The flash says the same, and how much of the log no witness vouches for.
    assert re.search(r"; no signed checkpoint\. No witness has cosigned a checkpoint: someone with "
                     r"the database could remove", page)
    card = page[page.index('data-testid="transparency"'):][:1500]
    assert "No checkpoint has been signed" in card and "No witness has cosigned a checkpoint yet" in card


def test_export_download_streams_and_is_audited(client, auth, cast, make_case, db):
    case_id = make_case()
    auth.login("aud")
    response = post(client, "/audit/export", {"format": "jsonl", "case": str(case_id)})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    lines = [json.loads(line) for line in body.splitlines()]
    assert lines and all(f'"case_id":{case_id},' in line["payload"] for line in lines)
    with db.sessions() as session:
        exports = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "audit_exported")).all()
    assert len(exports) == 1 and exports[0].actor_username == "aud"
    csv_body = post(client, "/audit/export", {"format": "csv"}).get_data(as_text=True)
    assert csv_body.splitlines()[0].startswith("seq,at,actor_id,actor_username")


def test_custody_report_is_rebuilt_from_the_audit_log(client, auth, cast, make_case, db):
    case_id = make_case()
    with db.transaction() as session:
        item = evidence.add_evidence(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                     kind="environmental_sample", title="Soil")
        evidence.add_custody_event(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=item.id, action="collected",
                                   at=datetime(2018, 4, 21, 10), to_holder="ivy", seal_id="S-9")
        evidence.add_custody_event(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                                   evidence_id=item.id, action="transferred",
                                   at=datetime(2018, 4, 22, 9), from_holder="ivy",
                                   to_holder="Lab One")
        item_id = item.id
    auth.login("ivy")
    page = client.get(f"/cases/{case_id}/evidence/{item_id}/custody-report").get_data(as_text=True)
    report = page[page.index('data-testid="custody-report"'):]
    assert report.count("<tr><td>") == 3  # added, collected, transferred
    assert "collected</strong> 2018-04-21 10:00 " in report and "seal <bdi>S-9</bdi>" in report
    assert ("transferred</strong> 2018-04-22 09:00 from <bdi>ivy</bdi> to <bdi>Lab One</bdi>"
            in report)
    # In minutes, with no claim that anything is signed, and a way back to the item.
    assert not re.search(r"\d\d:\d\d:\d\d", report) and "signed" not in page[page.index("<main"):]
    assert f'href="/cases/{case_id}/evidence/{item_id}"' in page


@pytest.mark.both_databases
@pytest.mark.parametrize("query, reason", [
    ("case=1234567890123456789012345", "No case 1234567890123456789012345 that you may see."),
    ("case=CW-2026-0001", "No case CW-2026-0001 that you may see."),
    ("case=Douma", "Case: &#39;Douma&#39; is neither a reference such as CW-2026-0033 nor a case number"),
    ("type=no_such_event", "Not a valid choice"),
    ("from=yesterday", "Not a valid date value"),
    ("before=99999999999999999999", "before: a whole number from 0 to 9223372036854775807."),
    ("actor=iv%00y", "The parameter &#39;actor&#39; contains a control character (NUL)."),
    ("type=" + "x" * 1001, "The parameter &#39;type&#39; is too long"),
])
def test_bad_filters_are_refused_with_a_reason(client, auth, cast, query, reason):
    auth.login("aud")
    response = client.get(f"/audit?{query}")
    assert response.status_code == 400 and reason in response.get_data(as_text=True)


# --- references, filters on the table and on both downloads ---------------------------------

def reference_of(db, case_id: int) -> str:
    from models import Case
    with db.sessions() as session:
        return session.get(Case, case_id).reference


def export(client, fmt: str, **filters):
    response = post(client, "/audit/export", {"format": fmt, **filters})
    body = response.get_data(as_text=True)
    response.close()
    return response, body


def exported_seqs(fmt: str, body: str) -> list[int]:
    if fmt == "jsonl":
        return [json.loads(line)["seq"] for line in body.splitlines() if line.startswith('{"seq"')]
    return [int(line.split(",", 1)[0]) for line in body.splitlines()[1:]]


@pytest.mark.both_databases
def test_a_case_is_named_by_its_reference_shown_and_accepted(client, auth, db, cast, make_case):
    first, second = make_case(), make_case()
    reference = reference_of(db, second)
    auth.login("sue")
    by_reference = client.get(f"/audit?case={reference}").get_data(as_text=True)
    assert seqs(by_reference) == seqs(client.get(f"/audit?case={second}").get_data(as_text=True))
    with db.sessions() as session:
        expected = session.scalars(select(AuditEvent.seq).where(AuditEvent.case_id == second)
                                   .order_by(AuditEvent.seq.desc())).all()
    assert seqs(by_reference) == expected
    assert seqs(client.get(f"/audit?case={reference.lower()}").get_data(as_text=True)) == expected
    soup = BeautifulSoup(by_reference, "html.parser")
    cells = {td.get_text(strip=True) for td in soup.select('[data-testid="events"] td:nth-of-type(4)')}
    assert cells == {reference}  # the reference, never the bare id
    assert soup.select_one('input[name="case"]')["value"] == reference
    assert reference_of(db, first) not in by_reference


def test_an_unknown_reference_is_refused_not_ignored(client, auth, cast, make_case):
    make_case()
    auth.login("aud")
    response = client.get("/audit?case=CW-2031-0999")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "No case CW-2031-0999 that you may see." in page
    assert seqs(page) == [] and 'data-testid="export"' not in page  # nothing offered to download
    refused, body = export(client, "jsonl", case="CW-2031-0999")
    assert refused.status_code == 400 and "No case CW-2031-0999 that you may see." in body


def test_a_supervisor_off_a_case_cannot_name_it_any_more_than_a_stranger(client, auth, db, cast,
                                                                         make_case):
    # Supervisors see every case; what they may not see is only what does not exist.
    auth.login("sue")
    assert client.get("/audit?case=CW-2031-0999").status_code == 400


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_each_filter_applies_to_the_table_and_to_the_download_named_for_it(
        client, auth, db, cast, make_case, fmt):
    first, second = make_case(), make_case()
    reference = reference_of(db, first)
    today = datetime.now().date().isoformat()
    auth.login("aud")
    cases = [({}, "audit-all"),
             ({"case": reference}, f"audit-{reference}"),
             ({"actor": "sue"}, "audit-all-by-sue"),
             ({"type": "team_member_added"}, "audit-all-team_member_added"),
             ({"from": "2099-01-01"}, "audit-all-from-2099-01-01"),
             ({"to": "2000-01-01"}, "audit-all-to-2000-01-01"),
             ({"case": reference, "actor": "sue", "type": "team_member_added", "from": today,
               "to": today}, f"audit-{reference}-by-sue-team_member_added-from-{today}-to-{today}")]
    for filters, name in cases:
        table = client.get("/audit", query_string=filters).get_data(as_text=True)
        response, body = export(client, fmt, **filters)
        assert response.status_code == 200, (filters, body)
        assert response.headers["Content-Disposition"] == f"attachment; filename={name}.{fmt}"
        shown, downloaded = seqs(table), exported_seqs(fmt, body)
        # The download is audited before it is read: its own event may be in it, not in the table.
        own = [seq for seq in downloaded if seq not in shown]
        assert sorted(set(downloaded) - set(own)) == sorted(shown), filters
        assert len(own) <= 1 and (not own or own[0] > max(shown, default=0)), filters
    with db.sessions() as session:
        last = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "audit_exported")
                               .order_by(AuditEvent.seq.desc())).first()
    details = json.loads(last.payload)["details"]
    assert details["case_id"] == first and details["filters"]["actor"] == "sue"
    assert details["filters"]["event_type"] == "team_member_added"
    assert second  # a second case whose events the filters leave out


def test_the_form_offers_the_filters_to_download_and_keeps_them_after_verify_now(
        client, auth, db, cast, make_case):
    reference = reference_of(db, make_case())
    auth.login("aud")
    query = f"case={reference}&type=gate_requested&actor=ivy"
    soup = BeautifulSoup(client.get(f"/audit?{query}").get_data(as_text=True), "html.parser")
    carried = {field["name"]: field["value"]
               for field in soup.select('[data-testid="export"] input[type="hidden"]')
               if field["name"] != "csrf_token"}
    assert carried == {"case": reference, "type": "gate_requested", "actor": "ivy"}
    verify = soup.find("button", string="Verify now").find_parent("form")
    response = post(client, verify["action"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/audit?{query}")


def test_event_types_are_chosen_from_a_list_in_words(client, auth, db, cast, full_case):
    auth.login("aud")
    soup = BeautifulSoup(client.get("/audit").get_data(as_text=True), "html.parser")
    options = {option["value"]: option.get_text() for option in soup.select('select[name="type"] option')}
    assert options[""] == "Any event" and options["gate_approved"] == "Gate approved"
    assert options["evidence_previewed"] == "Evidence file previewed"
    with db.sessions() as session:
        written = set(session.scalars(select(AuditEvent.event_type).distinct()))
    # Every event the pathway, the team, tasks and sign-in wrote has a name of its own.
    assert written and written <= set(audit_log.EVENT_NAMES)
    assert written <= set(options)
    table = soup.select_one('[data-testid="events"]')
    assert "team_member_added" not in table.get_text() and "Team member added" in table.get_text()


def test_the_case_page_links_to_its_audit_trail_for_those_who_may_read_it(
        client, auth, db, cast, make_case):
    case_id = make_case()
    reference = reference_of(db, case_id)
    for username, shown in (("sue", True), ("aud", True), ("ivy", False)):
        auth.logout()
        auth.login(username)
        soup = BeautifulSoup(client.get(f"/cases/{case_id}").get_data(as_text=True), "html.parser")
        link = soup.select_one('[data-command="read_audit"]')
        assert (link is not None) == shown, username
        if shown:
            assert link.get_text() == "Audit trail" and link["href"] == f"/audit?case={reference}"


def test_every_event_the_code_writes_has_a_name_in_words():
    # The events a service writes through its command or the log, by their code in the source:
    # an event without a name shows its code to readers of every language.
    written = set()
    for source in (Path(__file__).parents[1] / "workflow").glob("*.py"):
        text = source.read_text()
        written |= set(re.findall(r'(?:cmd\.record|audit\.append)\(\s*(?:session,\s*)?"([a-z_]+)"', text))
        written |= set(re.findall(r'event_type\s*=\s*"([a-z_]+)"', text))  # a keyword
        written |= set(re.findall(r'Correctable\(\s*"[a-z_]+",\s*"([a-z_]+)"', text))  # corrections
    assert {"comment_added", "case_linked", "token_refused", "task_corrected"} <= written
    assert written - set(audit_log.EVENT_NAMES) == set()


def test_an_event_about_an_account_names_the_account_it_concerns(client, auth, cast, db):
    """An admin's change to someone's account, and a sign-in refused for a name, say whose."""
    with db.transaction() as session:
        accounts.set_roles(session, audit.SYSTEM, session.get(User, cast["ana"].id),
                           ["analyst", "legal_officer"])
    auth.login("nobody-here", "not the password")
    auth.login("aud")
    page = BeautifulSoup(client.get("/audit").get_data(as_text=True), "html.parser")
    concerned = {row.select_one("td[title]")["title"]: row.select_one('[data-testid="account-concerned"]')
                 for row in page.select("tr[data-seq]")}
    assert concerned["user_roles_changed"].get_text(" ", strip=True) == "account ana"
    assert concerned["login_failed"].get_text(" ", strip=True) == "account nobody-here"
