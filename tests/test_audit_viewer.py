"""The audit viewer: who sees which events, keyset pages, verify now, exports, custody report."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from webclient import post
from workflow import audit, evidence
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
    assert ">login<" not in page and "user_created" not in page
    by_ivy = seqs(client.get(f"/audit?case={case_id}&actor=ivy").get_data(as_text=True))
    assert by_ivy and all(s in case_seqs for s in by_ivy)
    assert seqs(client.get("/audit?from=2999-01-01").get_data(as_text=True)) == []
    assert client.get("/audit?from=yesterday").status_code == 400
    assert post(client, "/audit/verify").status_code == 403


def test_verify_now_keeps_and_shows_the_result(client, auth, cast):
    auth.login("aud")
    assert "Never verified." in client.get("/audit").get_data(as_text=True)
    response = post(client, "/audit/verify", follow_redirects=True)
    page = response.get_data(as_text=True)
    banner = page[page.index('data-testid="verification"'):][:600]
    assert "Last verified" in banner and re.search(r"by aud:\s+OK \d+ events head=\w+; no signed checkpoint", banner)
    # The flash says the same, and how much of the log no witness vouches for.
    assert "No witness has cosigned a checkpoint: someone with the database could remove" in page
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
    assert "collected</strong> 2018-04-21 10:00 " in report and "seal S-9" in report
    assert "transferred</strong> 2018-04-22 09:00 from ivy to Lab One" in report
    # In minutes, with no claim that anything is signed, and a way back to the item.
    assert not re.search(r"\d\d:\d\d:\d\d", report) and "signed" not in page[page.index("<main"):]
    assert f'href="/cases/{case_id}/evidence/{item_id}"' in page


@pytest.mark.both_databases
@pytest.mark.parametrize("query, reason", [
    ("case=1234567890123456789012345", "case: a whole number from 0 to 2147483647."),
    ("case=CW-2026-0001", "case: a whole number from 0 to 2147483647."),
    ("before=99999999999999999999", "before: a whole number from 0 to 9223372036854775807."),
    ("actor=iv%00y", "The parameter &#39;actor&#39; contains a control character (NUL)."),
    ("type=" + "x" * 1001, "The parameter &#39;type&#39; is too long"),
])
def test_bad_filters_are_refused_with_a_reason(client, auth, cast, query, reason):
    auth.login("aud")
    response = client.get(f"/audit?{query}")
    assert response.status_code == 400 and reason in response.get_data(as_text=True)
