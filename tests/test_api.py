"""The JSON API: optimistic locking over HTTP, problem details, four-eyes, the same audit events
as the forms, evidence files with their hashes, cursor and keyset pages, the OpenAPI document."""
from __future__ import annotations

import hashlib
import io
import json
import threading
from datetime import date
from pathlib import Path

import pytest
from apiclient import Api, make_token
from sqlalchemy import func, select

from models import ApiToken, AuditEvent, Case, EvidenceItem, StoredObject
from webclient import post
from workflow import audit, cases
from workflow.audit import Actor
from workflow.command import ANY_VERSION

NEW_CASE = {"title": "Chlorine barrel bomb", "occurred_on": "2016-08-10", "country": "Syria",
            "place": "Saraqib", "suspected_agent": "chlorine"}


def count(db, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def open_case(ivy: Api, **fields) -> tuple[int, str]:
    response = ivy.post("/cases", {**NEW_CASE, **fields})
    assert response.status_code == 201, response.json
    return response.json["id"], response.headers["ETag"]


# --- optimistic locking over HTTP -------------------------------------------------------------

def test_a_change_needs_the_etag_it_was_made_from(api, db):
    ivy = api("ivy")
    case_id, etag = open_case(ivy)
    assert etag == '"v1"' and ivy.get(f"/cases/{case_id}").headers["ETag"] == etag

    missing = ivy.call("PATCH", f"/cases/{case_id}", {"title": "Renamed"})
    assert missing.status_code == 428 and "If-Match" in missing.json["detail"]
    changed = ivy.call("PATCH", f"/cases/{case_id}", {"title": "Renamed"}, version=etag)
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v2"'
    assert changed.json["title"] == "Renamed"

    events = count(db, AuditEvent)
    stale = ivy.call("PATCH", f"/cases/{case_id}", {"title": "Lost update"}, version=etag)
    assert stale.status_code == 412
    assert stale.json["type"].endswith("stale-version") and "version 2" in stale.json["detail"]
    assert ivy.get(f"/cases/{case_id}").json["title"] == "Renamed"
    assert count(db, AuditEvent) == events
    assert ivy.call("PATCH", f"/cases/{case_id}", {"title": "x"}, version="W/\"v2\"").status_code == 412


# --- problem details, never a page -------------------------------------------------------------

def test_every_error_is_problem_details(app, api, client):
    ivy = api("ivy")
    case_id, etag = open_case(ivy)
    app.config["MAX_CONTENT_LENGTH"] = 2000
    answers = {
        404: ivy.get("/no/such/thing"),
        405: ivy.call("DELETE", "/cases"),
        401: client.get("/api/v1/cases"),
        415: ivy.post("/cases", data="title=x", content_type="application/x-www-form-urlencoded"),
        400: ivy.post("/cases", data="{not json", content_type="application/json"),
        413: ivy.post("/cases", {"title": "x" * 5000}),
        422: ivy.post("/cases", {"title": 5, "deaths": -1}),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.get_data(as_text=True))
        assert response.content_type == "application/problem+json"
        problem = response.json
        assert {"type", "title", "status", "detail"} <= set(problem) and problem["status"] == status
        assert "<html" not in response.get_data(as_text=True).lower()
    assert {e["field"] for e in answers[422].json["errors"]} == {"title", "deaths"}
    assert "GET" in answers[405].headers["Allow"]
    assert answers[401].headers["WWW-Authenticate"].startswith("Bearer")


def test_a_closed_gate_lists_its_unmet_requirements(api):
    ivy = api("ivy")
    case_id, etag = open_case(ivy, place="")
    refused = ivy.post(f"/cases/{case_id}/gate-requests", {"target": "investigation"}, version=etag)
    assert refused.status_code == 422 and refused.json["type"].endswith("gate-unmet")
    unmet = {item["code"] for item in refused.json["unmet"]}
    assert {"case_details", "lead_investigator"} <= unmet and all(not i["met"] for i in refused.json["unmet"])


# --- four eyes -----------------------------------------------------------------------------------

def ready_for_first_gate(api, db, cast) -> tuple[int, str]:
    """A case with evidence and a lead: its first gate can be requested."""
    ivy = api("ivy")
    case_id, etag = open_case(ivy)
    etag = ivy.post(f"/cases/{case_id}/evidence", {"kind": "document", "title": "Report"},
                    version=etag).headers["ETag"]
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=cast["ivy"].id, case_role="lead_investigator")
    return case_id, ivy.get(f"/cases/{case_id}").headers["ETag"]


def test_the_requester_cannot_approve_over_the_api(api, db, cast, client, make_user):
    boss_id = make_user("boss", "investigator", "supervisor")
    boss = Api(client, make_token(db, Actor(boss_id, "boss", ("investigator", "supervisor"))))
    case_id, etag = ready_for_first_gate(api, db, cast)
    with db.transaction() as session:
        cases.set_member(session, cast["sue"], case_id, expected_version=ANY_VERSION,
                         user_id=boss_id, case_role="investigator")
    etag = boss.get(f"/cases/{case_id}").headers["ETag"]
    requested = boss.post(f"/cases/{case_id}/gate-requests", {"target": "investigation"}, version=etag)
    assert requested.status_code == 201, requested.json
    request_id, etag = requested.json["id"], requested.headers["ETag"]
    case = boss.get(f"/cases/{case_id}").json
    assert case["available"]["approve_gate"] == {"ok": False, "reason": case["available"]["approve_gate"]["reason"]}
    assert "four-eyes" in case["available"]["approve_gate"]["reason"]

    own = boss.post(f"/cases/{case_id}/gate-requests/{request_id}/approve", {}, version=etag)
    assert own.status_code == 403 and "four_eyes" in {r["code"] for r in own.json["reasons"]}
    assert boss.get(f"/cases/{case_id}").json["stage"] == "reported"

    approved = api("sue").post(f"/cases/{case_id}/gate-requests/{request_id}/approve",
                               {"reason": "complete"}, version=etag)
    assert approved.status_code == 200 and approved.json["stage"] == "investigation"


@pytest.mark.postgres
def test_two_approvals_racing_over_the_api_one_wins(app, api, db, cast, backend):
    case_id, etag = ready_for_first_gate(api, db, cast)
    requested = api("ivy").post(f"/cases/{case_id}/gate-requests", {"target": "investigation"},
                                version=etag)
    request_id, etag = requested.json["id"], requested.headers["ETag"]
    deciders = [Api(app.test_client(), make_token(db, cast[name])) for name in ("sue", "sam")]
    start, answers = threading.Barrier(2), []

    def approve(decider: Api) -> None:
        start.wait()
        answers.append(decider.post(f"/cases/{case_id}/gate-requests/{request_id}/approve",
                                    {"reason": "fine"}, version=etag).status_code)
    threads = [threading.Thread(target=approve, args=(d,)) for d in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers)[0] == 200 and sorted(answers)[1] in (409, 412), answers
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.event_type == "gate_approved")) == 1


# --- the same audit events as the forms, plus the token ----------------------------------------

def _normal(event: AuditEvent) -> tuple:
    """What an event says, without what differs between two cases (ids, the token)."""
    details = json.loads(event.payload)["details"]
    details.pop("via", None)
    details.pop("evidence_id", None)
    if "checklist" in details:
        details["checklist"] = [(i["code"], i["met"]) for i in details["checklist"] or []]
    return (event.event_type, event.entity_type, event.actor_username, event.from_state,
            event.to_state, details)


def _events(db, case_id: int, after_seq: int) -> list[AuditEvent]:
    with db.sessions() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                        AuditEvent.seq > after_seq)
                               .order_by(AuditEvent.seq)).all()


def _head(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.max(AuditEvent.seq)))


def _version(db, case_id: int) -> str:
    with db.sessions() as session:
        return str(session.get(Case, case_id).version)


def by_forms(client, auth, db, cast, case_id: int) -> None:
    auth.login("ivy")
    form = {**NEW_CASE, "title": "Renamed", "occurred_precision": "day", "version": _version(db, case_id)}
    assert post(client, f"/cases/{case_id}/edit", form).status_code == 302
    assert post(client, f"/cases/{case_id}/evidence/new", {
        "kind": "document", "title": "Report", "source_grade": "F", "information_grade": "6",
        "version": _version(db, case_id)}).status_code == 302
    with db.sessions() as session:
        item = session.scalar(select(EvidenceItem.id).where(EvidenceItem.case_id == case_id))
    assert post(client, f"/cases/{case_id}/evidence/{item}/custody", {
        "action": "collected", "at": "2016-08-11T09:00", "to_holder": "ivy",
        "version": _version(db, case_id)}).status_code == 302
    auth.logout()
    auth.login("sue")
    assert post(client, f"/cases/{case_id}/team", {
        "member": f"{cast['ivy'].id}:lead_investigator",
        "version": _version(db, case_id)}).status_code == 302
    auth.logout()
    auth.login("ivy")
    assert post(client, f"/cases/{case_id}/gate", {
        "target": "investigation", "note": "ready", "version": _version(db, case_id)}).status_code == 302
    auth.logout()
    auth.login("sue")
    with db.sessions() as session:
        request_id = session.scalar(select(func.max(AuditEvent.entity_id)).where(
            AuditEvent.case_id == case_id, AuditEvent.event_type == "gate_requested"))
    assert post(client, f"/reviews/{request_id}/approve", {
        "reason": "complete", "version": _version(db, case_id)}).status_code == 302
    auth.logout()


def by_api(api, cast, case_id: int) -> None:
    ivy, sue = api("ivy"), api("sue")
    etag = ivy.get(f"/cases/{case_id}").headers["ETag"]
    etag = ivy.call("PATCH", f"/cases/{case_id}", {"title": "Renamed"}, version=etag).headers["ETag"]
    added = ivy.post(f"/cases/{case_id}/evidence", {"kind": "document", "title": "Report"}, version=etag)
    item, etag = added.json["id"], added.headers["ETag"]
    etag = ivy.post(f"/cases/{case_id}/evidence/{item}/custody", {
        "action": "collected", "at": "2016-08-11T09:00:00Z", "to_holder": "ivy"},
        version=etag).headers["ETag"]
    etag = sue.call("PUT", f"/cases/{case_id}/team/{cast['ivy'].id}",
                    {"case_role": "lead_investigator"}, version=etag).headers["ETag"]
    requested = ivy.post(f"/cases/{case_id}/gate-requests", {"target": "investigation",
                                                             "note": "ready"}, version=etag)
    assert sue.post(f"/cases/{case_id}/gate-requests/{requested.json['id']}/approve",
                    {"reason": "complete"}, version=requested.headers["ETag"]).status_code == 200


def test_every_write_through_the_api_is_audited_as_the_form_writes_it(db, cast, client, auth, api):
    with db.transaction() as session:
        by_hand = cases.open_case(session, cast["ivy"], **{**NEW_CASE, "occurred_on": date(2016, 8, 10)}).id
        by_program = cases.open_case(session, cast["ivy"], **{**NEW_CASE, "occurred_on": date(2016, 8, 10)}).id
    start = _head(db)
    by_forms(client, auth, db, cast, by_hand)
    middle = _head(db)
    by_api(api, cast, by_program)
    forms, program = _events(db, by_hand, start), _events(db, by_program, middle)
    assert [e.event_type for e in forms][:6] == ["case_updated", "evidence_added", "custody_recorded",
                                                 "team_member_changed", "gate_requested", "gate_approved"]
    assert [_normal(e) for e in program] == [_normal(e) for e in forms]
    with db.sessions() as session:
        ours = {row.prefix: row.id for row in session.scalars(select(ApiToken))}
    for event in program:
        via = json.loads(event.payload)["details"]["via"]
        assert via["channel"] == "api" and ours[via["token_prefix"]] == via["token_id"]
    assert all("via" not in json.loads(e.payload)["details"] for e in forms)
    with db.sessions() as session:
        assert audit.verify_chain(session).ok


# --- evidence files --------------------------------------------------------------------------

def test_upload_with_a_declared_hash_and_download_with_it(app, api, db):
    ivy = api("ivy")
    case_id, etag = open_case(ivy)
    content = b"%PDF-1.4 field report\n"
    digest = hashlib.sha256(content).hexdigest()

    wrong = ivy.post(f"/cases/{case_id}/evidence", version=etag, data={
        "kind": "document", "title": "Report", "declared_sha256": "0" * 64,
        "file": (io.BytesIO(content), "report.pdf")}, content_type="multipart/form-data")
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "declared_sha256"
    assert count(db, EvidenceItem) == 0 and count(db, StoredObject) == 0

    added = ivy.post(f"/cases/{case_id}/evidence", version=etag, data={
        "kind": "document", "title": "Report", "declared_sha256": digest.upper(),
        "file": (io.BytesIO(content), "report.pdf", "application/pdf")},
        content_type="multipart/form-data")
    assert added.status_code == 201, added.json
    item = added.json
    assert item["sha256"] == digest and item["size"] == len(content)
    assert added.headers["Location"].endswith(f"/evidence/{item['id']}")

    downloads = count(db, AuditEvent)
    file = ivy.get(f"/cases/{case_id}/evidence/{item['id']}/file")
    data = file.data
    file.close()
    assert file.status_code == 200 and data == content
    assert file.headers["X-Content-SHA256"] == digest
    assert file.content_type == "application/octet-stream"
    assert count(db, AuditEvent) == downloads + 1


def test_a_refused_upload_leaves_no_file_in_the_store(app, api, db):
    ivy = api("ivy")
    case_id, etag = open_case(ivy)
    assert ivy.call("PATCH", f"/cases/{case_id}", {"title": "Renamed"}, etag).status_code == 200

    def send(**fields):
        return ivy.post(f"/cases/{case_id}/evidence", version=fields.pop("version"), data={
            "kind": "document", "title": "Report", **fields,
            "file": (io.BytesIO(b"%PDF-1.4 refused\n"), "report.pdf")},
            content_type="multipart/form-data")
    stale = send(version=etag)
    future = send(version=ivy.get(f"/cases/{case_id}").headers["ETag"],
                  collected_at="2099-01-01T00:00:00Z")
    assert (stale.status_code, future.status_code) == (412, 422), (stale.json, future.json)
    evidence_dir = Path(app.config["EVIDENCE_DIR"])
    assert [path for path in evidence_dir.rglob("*") if path.is_file()] == []
    assert count(db, EvidenceItem) == 0 and count(db, StoredObject) == 0


# --- pages -----------------------------------------------------------------------------------

def test_cases_come_in_cursor_pages_with_a_next_link(api):
    ivy = api("ivy")
    opened = [open_case(ivy, title=f"Case {n}")[0] for n in range(5)]
    seen, path = [], "/cases?limit=2&q=case"
    while path:
        page = ivy.get(path)
        assert page.status_code == 200
        seen += [item["id"] for item in page.json["items"]]
        link = page.headers.get("Link")
        assert (link is None) == (page.json["next_cursor"] is None)
        path = link[link.index("</api/v1") + 8:link.index(">")] if link else None
    assert seen == sorted(opened, reverse=True)
    assert ivy.get("/cases?cursor=bm9wZQ").status_code == 400


def test_auditors_page_back_through_the_log_by_seq(api, db, cast, make_case):
    case_id = make_case()
    aud = api("aud")
    first = aud.get("/audit/events?limit=3")
    assert first.status_code == 200 and len(first.json["items"]) == 3
    before = first.json["next_before"]
    assert [e["seq"] for e in first.json["items"]][-1] == before and 'rel="next"' in first.headers["Link"]
    older = aud.get(f"/audit/events?limit=3&before={before}").json["items"]
    assert all(e["seq"] < before for e in older)
    mine = aud.get(f"/cases/{case_id}/audit-events?type=team_member_added").json["items"]
    assert {e["details"]["case_role"] for e in mine} == {"analyst", "legal_officer"}
    assert api("ivy").get("/audit/events").status_code == 403  # not the investigator's to read


# --- the description ---------------------------------------------------------------------------

def test_the_openapi_document_describes_every_operation(client, app):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token from My account → Access tokens."}
    operations = [(path, method, op) for path, item in document["paths"].items()
                  for method, op in item.items()]
    api_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(operations) == sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in api_rules) >= 40
    for path, method, op in operations:
        for status in ("401", "403", "404", "422"):
            assert "application/problem+json" in op["responses"][status]["content"], (path, status)
        if method != "get" and "If-Match" in {p["name"] for p in op.get("parameters", [])}:
            assert {"412", "428"} <= set(op["responses"])
    links = document["paths"]["/api/v1/cases/{case_id}/gate-requests"]["post"]["responses"]["201"]["links"]
    assert links["ApproveGate"]["operationId"] == "approve_gate"


def test_the_reference_page_loads_nothing_from_elsewhere(client):
    page = client.get("/api/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "swagger-ui" in html
    assert "http://" not in html and "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = client.get(f"/api/docs/assets/{asset}")
        response.close()
        assert response.status_code == 200
    assert client.get("/api/docs/assets/index.html").status_code == 404


@pytest.fixture
def extra_config():
    return {"API_CORS_ORIGINS": ("https://lab.example.org",)}


def test_cors_answers_only_the_named_origins(api):
    ivy = api("ivy")
    named = ivy.get("/me", headers={"Origin": "https://lab.example.org"})
    other = ivy.get("/me", headers={"Origin": "https://elsewhere.example"})
    assert named.headers["Access-Control-Allow-Origin"] == "https://lab.example.org"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_cors_is_off_unless_configured(app, api):
    app.config["API_CORS_ORIGINS"] = ()
    assert "Access-Control-Allow-Origin" not in api("ivy").get(
        "/me", headers={"Origin": "https://lab.example.org"}).headers


# --- tasks and the accountability menu ------------------------------------------------------

def test_a_response_waits_while_the_case_is_under_review_then_moves_on(api, full_case):
    leo = api("leo")
    case_id, response_id = full_case["case_id"], full_case["response_id"]
    etag = leo.get(f"/cases/{case_id}").headers["ETag"]
    held = leo.post(f"/cases/{case_id}/responses/{response_id}/milestones",
                    {"description": "Second listing", "due_on": "2031-01-01"}, version=etag)
    assert held.status_code == 409 and "under review" in held.json["detail"]

    withdrawn = leo.post(f"/cases/{case_id}/gate-requests/{full_case['request_id']}/withdraw",
                         version=etag)
    assert withdrawn.status_code == 200 and withdrawn.json["pending_request"] is None
    added = leo.post(f"/cases/{case_id}/responses/{response_id}/milestones",
                     {"description": "Second listing", "due_on": "2031-01-01"},
                     version=withdrawn.headers["ETag"])
    assert added.status_code == 201
    assert [m["description"] for m in added.json["milestones"]] == ["Listing published",
                                                                    "Second listing"]
    wrong = leo.post(f"/cases/{case_id}/responses/{response_id}/status",
                     {"status": "proposed", "reason": "back"}, version=added.headers["ETag"])
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "status"


def test_a_task_is_claimed_and_completed_through_the_api(api, full_case):
    leo = api("leo")
    queue = leo.get("/tasks/queues").json["items"]
    task = next(t for t in queue if t["case_id"] == full_case["case_id"])
    path = f"/cases/{task['case_id']}/tasks/{task['id']}"
    claimed = leo.post(f"{path}/claim")
    assert claimed.status_code == 200 and claimed.json["assignee"] == "leo"
    assert api("ivy").post(f"{path}/complete", {"note": "not mine"}).status_code == 403
    assert leo.post(f"{path}/claim").status_code == 409
    done = leo.post(f"{path}/complete", {"note": "Partners briefed."})
    assert done.status_code == 200 and done.json["status"] == "done"
    assert task["id"] not in [t["id"] for t in leo.get("/tasks/mine").json["items"]]
