"""The importer turns every parse failure into its one-line refusal, nothing imported; and
ids nested in a URL must belong to the case and record named before them."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from webclient import post

from models import AuditEvent, Case, Milestone
from workflow.command import ANY_VERSION

HEADER = "source_id,title,summary\n"


def case_count(db) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case))


@pytest.fixture
def importing(runner, make_user, tmp_path):
    make_user("investigator", "investigator")

    def run(content: bytes | str, fmt: str = "csv"):
        path = tmp_path / f"incidents.{fmt}"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return runner.invoke(args=["incidents", "import", str(path), "--format", fmt])
    return run


def one_line_refusal(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error:"), result.output
    for word in words:
        assert word in result.output, (word, result.output)


@pytest.mark.parametrize("content, words", [
    (HEADER + "a-1,Title," + "x" * 131_073 + "\n", ("line", "field larger than field limit")),
    (HEADER + "a-1,Title with a \x00 NUL,\n", ("line 2", "NUL")),
    (HEADER + "a-1,Bell \x07 ringing,\n", ("line 2", "U+0007")),
    ("source_id,title," + ",".join(f"extra{n}" for n in range(100_000)) + "\n", ("unknown extra0", "99995 more")),
])
def test_csv_parse_failures_are_one_line_refusals(importing, db, content, words):
    one_line_refusal(importing(content), *words)
    assert case_count(db) == 0


def test_a_row_with_more_values_than_the_header_is_rejected(importing, db):
    result = importing(HEADER + "a-1,Fine,\na-2,Too many," + ",".join(["x"] * 100_000) + "\n")
    assert result.exit_code == 1 and "100002 values, but the header has 3 columns" in result.output
    assert case_count(db) == 0


@pytest.mark.parametrize("content, words", [
    ("[" * 100_000 + "]" * 100_000, ("nested too deep",)),
    ('[{"incident_code": "x1", "title_en": "a\\u0000b"}]', ("record 1", "control character")),
    ('[{"incident_code": "x1", "title_en": ["not", "text"]}]', ("record 1", "unreadable")),
    ('[{"incident_code": "x1", "title_en": "ok", "latitude": {"a": 1}}]', ("record 1",)),
    ('{"not": "a list"}', ("expected a JSON list",)),
])
def test_json_parse_failures_are_one_line_refusals(importing, db, content, words):
    result = importing(content, "syrian-archive")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for word in words:
        assert word in result.output, (word, result.output)
    assert case_count(db) == 0


def test_a_milestone_of_another_response_is_404(client, auth, db, cast, full_case, move):
    """POST /cases/<c>/responses/<r>/milestones/<m> with m of another response of the same case."""
    from datetime import date

    from workflow import responses, reviews
    case_id = full_case["case_id"]
    with db.transaction() as session:
        reviews.withdraw_gate(session, cast["leo"], full_case["request_id"],
                              expected_version=ANY_VERSION)
    with db.transaction() as session:
        other = responses.propose_response(session, cast["leo"], case_id,
                                           expected_version=ANY_VERSION, level="national",
                                           tool="legal", actor_name="A court",
                                           description="A trial", legally_binding=True,
                                           legal_basis="", strategies=[], target="")
        other_id = other.id
    assert auth.login("leo").status_code == 302
    with db.sessions() as session:
        version = session.get(Case, case_id).version
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    response = post(client, f"/cases/{case_id}/responses/{other_id}/milestones/{full_case['milestone_id']}",
                    {"version": version, "done_on": date.today().isoformat(), "note": "done elsewhere"})
    assert response.status_code == 404
    with db.sessions() as session:
        assert session.get(Milestone, full_case["milestone_id"]).done_on is None
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    right = post(client, f"/cases/{case_id}/responses/{full_case['response_id']}/milestones/"
                         f"{full_case['milestone_id']}",
                 {"version": version, "done_on": date.today().isoformat(), "note": "done"})
    assert right.status_code == 302


def test_nested_ids_of_another_case_are_404(client, auth, db, cast, full_case, make_case):
    other_case = make_case()
    assert auth.login("sue").status_code == 302
    for url in (f"/cases/{other_case}/evidence/{full_case['evidence_id']}",
                f"/cases/{other_case}/evidence/{full_case['evidence_id']}/download",
                f"/cases/{other_case}/responses/{full_case['response_id']}"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"/cases/{other_case}/tasks/{full_case['task_id']}/cancel",
                {"reason": "x"}).status_code == 404
    auth.logout()
    assert auth.login("leo").status_code == 302  # on the team of both cases
    url = f"/cases/{other_case}/responses/{full_case['response_id']}/milestones/{full_case['milestone_id']}"
    assert post(client, url, {"version": 1, "note": "x"}).status_code == 404
