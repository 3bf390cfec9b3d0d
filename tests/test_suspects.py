"""A case names its suspected perpetrators from reporting on: party register entries, through
their aliases, changed with the case's details (audited) and re-pointed by a register merge."""
from __future__ import annotations

import json

import pytest
from apiclient import Api, make_token
from sqlalchemy import select
from webclient import post

from models.audit import AuditEvent
from models.case import Case
from tests.test_case_pages import NEW_CASE, sign_in
from workflow import cases, registers
from workflow.command import ANY_VERSION
from workflow.errors import Invalid

pytestmark = pytest.mark.both_databases


@pytest.fixture
def seeded(db):
    with db.transaction() as session:
        registers.seed(session)


def suspects_of(db, case_id: int) -> list[str]:
    with db.sessions() as session:
        return [entry.name for entry in session.get(Case, case_id).suspects]


def name_suspects(db, cast, case_id: int, suspects) -> None:
    with db.transaction() as session:
        cases.update_case(session, cast["ivy"], case_id, expected_version=ANY_VERSION,
                          suspects=suspects)


def updates(db, case_id: int) -> list[dict]:
    with db.sessions() as session:
        return [json.loads(payload)["details"]["changes"] for payload in session.scalars(
            select(AuditEvent.payload).where(AuditEvent.case_id == case_id,
                                             AuditEvent.event_type == "case_updated")
            .order_by(AuditEvent.seq))]


def test_suspects_named_in_the_form_by_aliases_are_saved_shown_and_audited(
        client, auth, cast, db, seeded):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "suspects": "Syrian regime\nSyAAF\nSyria"})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert suspects_of(db, case_id) == ["Syrian Arab Air Force", "Syrian Arab Republic"]
    with db.sessions() as session:
        opened = json.loads(session.scalar(select(AuditEvent.payload).where(
            AuditEvent.case_id == case_id, AuditEvent.event_type == "case_opened")))
    assert opened["details"]["fields"]["suspects"] == ["Syrian Arab Air Force", "Syrian Arab Republic"]
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "<bdi>Syrian Arab Air Force</bdi></a>, <a" in page and "<bdi>Syrian Arab Republic</bdi>" in page
    form = client.get(f"/cases/{case_id}/edit").get_data(as_text=True)
    assert "Syrian Arab Air Force\nSyrian Arab Republic</textarea>" in form


def test_changing_suspects_is_one_audited_case_update(db, cast, make_case, seeded):
    case_id = make_case(staffed=False)
    name_suspects(db, cast, case_id, ["Syrian government forces"])
    name_suspects(db, cast, case_id, ["Syrian Arab Republic"])  # the same entry: nothing changes
    name_suspects(db, cast, case_id, "Tiger Forces\n")
    name_suspects(db, cast, case_id, [])
    assert updates(db, case_id) == [
        {"suspects": [[], ["Syrian Arab Republic"]]},
        {"suspects": [["Syrian Arab Republic"], ["Tiger Forces"]]},
        {"suspects": [["Tiger Forces"], []]},
    ]
    with db.sessions() as session:
        assert session.get(Case, case_id).version == 4  # opened at 1, three changes


def test_an_unknown_suspect_is_refused_naming_it_and_nothing_changes(db, cast, make_case, seeded):
    case_id = make_case()
    with pytest.raises(Invalid, match="suspects: not in the register of parties: Martian Legion"):
        name_suspects(db, cast, case_id, ["Syria", "Martian Legion"])
    assert suspects_of(db, case_id) == [] and updates(db, case_id) == []


def test_an_unknown_suspect_in_the_form_is_shown_beside_the_field(client, auth, cast, db, seeded):
    sign_in(auth, cast, "ivy")
    response = post(client, "/cases/new", {**NEW_CASE, "suspects": "Martian Legion"})
    assert response.status_code in (400, 409, 422)
    assert "not in the register of parties: Martian Legion" in response.get_data(as_text=True)


def test_the_dossier_lists_the_suspects_and_names_the_country(client, auth, db, cast, make_case, seeded):
    case_id = make_case(country="SY")
    name_suspects(db, cast, case_id, ["Syrian Arab Air Force", "Tiger Forces"])
    sign_in(auth, cast, "sue")
    page = client.get(f"/cases/{case_id}/dossier").get_data(as_text=True)
    assert "<bdi>Syrian Arab Air Force</bdi>; <bdi>Tiger Forces</bdi>" in page
    assert "<bdi>Syria</bdi>" in page


def test_the_api_reads_and_replaces_the_suspects_and_gives_the_country_code(
        client, db, cast, make_case, seeded):
    case_id = make_case(country="سوريا")
    api = Api(client, make_token(db, cast["ivy"]))
    got = api.get(f"/cases/{case_id}")
    assert got.json["country"] == "SY" and got.json["suspects"] == []
    changed = api.call("PATCH", f"/cases/{case_id}", {"suspects": ["SyAAF"], "country": "Iraq"},
                       version=got.headers["ETag"])
    assert changed.status_code == 200, changed.json
    assert changed.json["suspects"] == ["Syrian Arab Air Force"] and changed.json["country"] == "IQ"
    refused = api.call("PATCH", f"/cases/{case_id}", {"suspects": ["Martian Legion"]},
                       version=changed.headers["ETag"])
    assert refused.status_code == 422 and "Martian Legion" in refused.json["detail"]


def test_merging_a_party_repoints_the_cases_suspecting_it_with_an_event_each(
        db, cast, make_case, seeded):
    with db.transaction() as session:
        duplicate = registers.add_entry(session, cast["sue"], "party", "Assad government",
                                        "state").id
        kept = registers.resolve(session, "party", "Syria").id
    one, both = make_case(), make_case()
    name_suspects(db, cast, one, ["Assad government"])
    name_suspects(db, cast, both, ["Assad government", "Syrian Arab Republic"])
    with db.transaction() as session:
        assert registers.merge(session, cast["sue"], duplicate, kept) == 2
    assert suspects_of(db, one) == suspects_of(db, both) == ["Syrian Arab Republic"]
    with db.sessions() as session:
        moved = session.execute(select(AuditEvent.case_id, AuditEvent.payload).where(
            AuditEvent.event_type == "register_link_moved").order_by(AuditEvent.seq)).all()
    assert [case_id for case_id, _ in moved] == [one, both]
    assert all(json.loads(payload)["details"]["field"] == "suspects" for _, payload in moved)
