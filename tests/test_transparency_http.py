"""The transparency log over HTTP, as a witness and an auditor see it: the signed checkpoint,
consistency and inclusion proofs checked against the signed roots, hostile parameters, and
witnesses' cosignatures (kept only from known witnesses, on notes this log signed)."""
from __future__ import annotations

import base64
import http.client
import itertools
import random
import time
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from models.audit import AuditCheckpoint, AuditCosignature, AuditEvent
from workflow import audit, log_keys, merkle, notes
from workflow.audit import Actor

ORIGIN = "restraint.test/audit"
ACTOR = Actor(3, "ivy", ("investigator",))
#: Witnesses this log knows (in AUDIT_WITNESS_KEYS), by name.
KNOWN = ("witness.example.org", "second.witness.example")
UNKNOWN = "stranger.example.net"
WITNESS_KEYS = {name: Ed25519PrivateKey.generate() for name in (*KNOWN, UNKNOWN)}


@pytest.fixture
def extra_config(log_key_files):
    # Checkpoints at the first write and by hand only: each test decides where they fall.
    vkeys = " ".join(notes.verifier_key(name, WITNESS_KEYS[name].public_key(), notes.COSIGNATURE_V1)
                     for name in KNOWN)
    return {"AUDIT_SIGNING_KEY": str(log_key_files[0]), "AUDIT_CHECKPOINT_SECONDS": 10 ** 6,
            "AUDIT_CHECKPOINT_EVENTS": 10 ** 6, "AUDIT_LOG_ORIGIN": ORIGIN,
            "AUDIT_WITNESS_KEYS": vkeys}


@pytest.fixture
def public_key(log_key_files):
    return log_keys.load_public_key(log_key_files[1].read_bytes())


# --- helpers -------------------------------------------------------------------------------

def append(db, count: int, per_transaction: int = 1) -> None:
    """`count` events, `per_transaction` to a transaction."""
    written = 0
    while written < count:
        batch = min(per_transaction, count - written)
        with db.transaction() as session:
            for n in range(batch):
                audit.append(session, "note", ACTOR, case_id=(written + n) % 5 + 1,
                             details={"n": written + n})
        written += batch


def event_hashes(db) -> list[str]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEvent.hash).order_by(AuditEvent.seq)))


def leaves(db) -> list[bytes]:
    """The tree's leaf hashes, computed here from the events' chain hashes."""
    return [merkle.leaf_hash(bytes.fromhex(hash_)) for hash_ in event_hashes(db)]


def count(db, model) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def sign_now(runner) -> None:
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output


def served_checkpoint(client, public_key) -> tuple[str, notes.Checkpoint]:
    """The checkpoint note served to anyone, verified with the log's key: (note, checkpoint)."""
    response = client.get("/audit/checkpoint")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    note = response.get_data(as_text=True)
    return note, notes.Checkpoint.parse(notes.verify(note, ORIGIN, public_key))


def one_line(response) -> str:
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/plain", response.mimetype
    assert text.endswith("\n") and text.count("\n") == 1 and text.strip(), repr(text)
    return text.strip()


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]


# --- the checkpoint ------------------------------------------------------------------------

@pytest.mark.both_databases
def test_checkpoint_is_404_before_any_then_a_signed_note_over_the_events(db, client, runner, public_key):
    response = client.get("/audit/checkpoint")
    assert response.status_code == 404
    assert one_line(response) == "no checkpoint has been signed yet"

    append(db, 9, per_transaction=9)  # the first write signs a checkpoint
    append(db, 4)
    note, checkpoint = served_checkpoint(client, public_key)
    assert checkpoint.size == 9 and checkpoint.origin == ORIGIN
    assert checkpoint.root == merkle.root(leaves(db)[:9])
    assert checkpoint.extensions == ("head " + event_hashes(db)[8],)

    sign_now(runner)
    note, checkpoint = served_checkpoint(client, public_key)
    assert checkpoint.size == count(db, AuditEvent) == 13
    assert checkpoint.root == merkle.root(leaves(db))
    assert checkpoint.extensions == ("head " + event_hashes(db)[-1],)
    with pytest.raises(ValueError, match="no signature by"):
        notes.verify(note, ORIGIN, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize("extra_config", [{"AUDIT_LOG_ORIGIN": ORIGIN}])
def test_without_a_signing_key_the_checkpoint_stays_404(db, client):
    append(db, 3)
    response = client.get("/audit/checkpoint")
    assert response.status_code == 404 and one_line(response) == "no checkpoint has been signed yet"


# --- proofs ----------------------------------------------------------------------------------

@pytest.mark.both_databases
def test_consistency_proofs_between_real_checkpoints_verify_against_the_signed_roots(
        db, client, runner, public_key):
    rng = random.Random(6962)
    roots = {}
    append(db, 5, per_transaction=5)  # first write: the checkpoint of size 5
    _, checkpoint = served_checkpoint(client, public_key)
    roots[checkpoint.size] = checkpoint.root
    for batch in [35] + [rng.randint(1, 40) for _ in range(5)]:
        append(db, batch, per_transaction=rng.choice([1, batch]))
        sign_now(runner)
        _, checkpoint = served_checkpoint(client, public_key)
        roots[checkpoint.size] = checkpoint.root
    sizes = sorted(roots)
    assert sizes[:2] == [5, 40] and len(sizes) == 7
    tree = leaves(db)

    pairs = [(5, 40)] + rng.sample(list(itertools.combinations(sizes, 2)), 10) + [(40, 40)]
    for old, new in pairs:
        response = client.get("/audit/proof/consistency", query_string={"old": old, "new": new})
        assert response.status_code == 200, (old, new, response.get_data(as_text=True))
        body = response.get_json()
        assert (body["old"], body["new"]) == (old, new)
        proof = hexes(body["proof"])
        assert merkle.verify_consistency(old, new, roots[old], roots[new], proof), (old, new)
        assert proof == merkle.consistency_proof(old, new, tree), (old, new)
        if old != new:  # the proof binds the roots: another old root fails
            other = next(size for size in sizes if size != old)
            assert not merkle.verify_consistency(old, new, roots[other], roots[new], proof)


@pytest.mark.both_databases
def test_inclusion_proofs_for_an_auditor_verify_against_the_signed_roots(db, client, runner, auth,
                                                                         public_key):
    append(db, 6, per_transaction=6)  # the checkpoint of size 6
    _, first = served_checkpoint(client, public_key)
    append(db, 30)
    auth.login_as("auditor")
    sign_now(runner)
    _, latest = served_checkpoint(client, public_key)
    hashes = event_hashes(db)
    assert latest.size == len(hashes) > 36

    rng = random.Random(9162)
    checks = [(seq, latest) for seq in {1, 2, latest.size // 2, latest.size - 1, latest.size,
                                        *rng.sample(range(1, latest.size + 1), 8)}]
    checks += [(seq, first) for seq in range(1, first.size + 1)]
    for seq, checkpoint in checks:
        response = client.get("/audit/proof/inclusion", query_string={"seq": seq, "size": checkpoint.size})
        assert response.status_code == 200, (seq, response.get_data(as_text=True))
        body = response.get_json()
        assert (body["seq"], body["size"]) == (seq, checkpoint.size)
        leaf = bytes.fromhex(body["leaf"])
        assert leaf == merkle.leaf_hash(bytes.fromhex(hashes[seq - 1]))
        proof = hexes(body["proof"])
        assert merkle.verify_inclusion(seq - 1, checkpoint.size, leaf, proof, checkpoint.root), seq
        assert not merkle.verify_inclusion(seq % checkpoint.size, checkpoint.size, leaf, proof,
                                           checkpoint.root)


def test_inclusion_proofs_are_refused_to_an_investigator_and_to_the_signed_out(db, client, auth):
    append(db, 4)
    response = client.get("/audit/proof/inclusion?seq=1&size=4")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login_as("investigator")
    response = client.get("/audit/proof/inclusion?seq=1&size=4")
    assert response.status_code == 403
    assert "auditor" in one_line(response)
    # Consistency proofs and the checkpoint reveal only sizes and hashes: open to anyone.
    assert client.get("/audit/proof/consistency?old=1&new=4").status_code == 200


# --- hostile parameters --------------------------------------------------------------------

LOG_SIZE = 12
MISSING = object()
#: Values that are not a size of the log, whatever the other parameter.
HOSTILE = [MISSING, "", "abc", "-1", "0", "1.5", "1e3", "NaN", "1" * 25, "\u0663", " 5", "5 ", "5\n",
           "+5", "0x5", "\uff15", "\u00b2", str(LOG_SIZE + 1), str(LOG_SIZE + 100), str(2 ** 62),
           str(2 ** 62 + 1), "9" * 19, str(2 ** 63), str(2 ** 64)]
VALID = {"consistency": {"old": "3", "new": str(LOG_SIZE)},
         "inclusion": {"seq": "3", "size": str(LOG_SIZE)}}
#: Each pair out of order: old after new, seq after size.
DISORDERED = {"consistency": {"old": "8", "new": "7"}, "inclusion": {"seq": "8", "size": "7"}}


@pytest.fixture
def small_log(db, client, auth):
    append(db, LOG_SIZE - 2)
    auth.login_as("auditor")  # creating the auditor and signing in are the log's last events
    assert count(db, AuditEvent) == LOG_SIZE


@pytest.mark.both_databases
@pytest.mark.parametrize("proof, name", [("consistency", "old"), ("consistency", "new"),
                                         ("inclusion", "seq"), ("inclusion", "size")])
def test_bad_parameters_are_a_one_line_400(small_log, client, proof, name):
    for value in HOSTILE:
        query = dict(VALID[proof])
        if value is MISSING:
            del query[name]
        else:
            query[name] = value
        response = client.get(f"/audit/proof/{proof}", query_string=query)
        assert response.status_code == 400, (name, value, response.status_code)
        one_line(response)
    response = client.get(f"/audit/proof/{proof}", query_string=DISORDERED[proof])
    assert response.status_code == 400
    one_line(response)
    # The same request with good values is answered.
    assert client.get(f"/audit/proof/{proof}", query_string=VALID[proof]).status_code == 200


# --- cosignatures ----------------------------------------------------------------------------

def cosigned(note: str, *names: str, body: str | None = None) -> str:
    """The note with a cosignature line by each named witness (over `body`, by default the note's)."""
    body = body if body is not None else notes.parse(note)[0]
    stamp = int(time.time())
    return note + "".join(notes.cosign(body, name, WITNESS_KEYS[name], stamp) for name in names)


def flip_last_byte(line: str) -> str:
    prefix, _, encoded = line.rstrip("\n").rpartition(" ")
    data = bytearray(base64.b64decode(encoded))
    data[-1] ^= 0x01
    return f"{prefix} {base64.b64encode(bytes(data)).decode()}\n"


def post_note(client, data):
    return client.post("/audit/cosignatures", data=data, content_type="text/plain; charset=utf-8")


@pytest.fixture
def signed_log(db, client, runner, public_key) -> str:
    """A log of 20 events with checkpoints at 8 and 20; the latest note, as served."""
    append(db, 8, per_transaction=8)
    append(db, 12)
    sign_now(runner)
    note, checkpoint = served_checkpoint(client, public_key)
    assert checkpoint.size == 20
    return note


def stored_cosignatures(db) -> list[AuditCosignature]:
    with db.sessions() as session:
        return session.scalars(select(AuditCosignature).order_by(AuditCosignature.id)).all()


@pytest.mark.both_databases
def test_a_known_witness_cosignature_is_kept_once_without_csrf_or_sign_in(db, client, runner, signed_log):
    witness = KNOWN[0]
    text = cosigned(signed_log, witness)
    events = count(db, AuditEvent)
    response = post_note(client, text.encode("utf-8"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert one_line(response) == "kept 1 cosignatures"
    [kept] = stored_cosignatures(db)
    with db.sessions() as session:
        latest = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1))
    line = text.splitlines()[-1]
    assert (kept.checkpoint_id, kept.witness, kept.line) == (latest.id, witness, line)
    assert kept.timestamp == notes.verify_cosignature(notes.parse(signed_log)[0], line + "\n", witness,
                                                      WITNESS_KEYS[witness].public_key())

    again = post_note(client, text.encode("utf-8"))
    assert again.status_code == 200 and one_line(again) == "kept 0 cosignatures"
    assert len(stored_cosignatures(db)) == 1
    # A second known witness on the same note is kept beside the first, the first not again.
    both = post_note(client, cosigned(text, KNOWN[1]).encode("utf-8"))
    assert both.status_code == 201 and one_line(both) == "kept 1 cosignatures"
    assert [c.witness for c in stored_cosignatures(db)] == list(KNOWN)
    assert count(db, AuditEvent) == events

    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "cosigned by 2; 0 events after it" in result.output, result.output


def test_a_kept_cosignature_is_shown_on_the_audit_page_to_an_auditor(db, client, auth, signed_log):
    assert post_note(client, cosigned(signed_log, KNOWN[0]).encode("utf-8")).status_code == 201
    auth.login_as("auditor")
    page = client.get("/audit")
    assert page.status_code == 200
    assert KNOWN[0] in page.get_data(as_text=True)


def _refusals(note: str, other_key: Ed25519PrivateKey) -> dict[str, tuple[bytes, int]]:
    body, _ = notes.parse(note)
    checkpoint = notes.Checkpoint.parse(body)
    good = cosigned(note, KNOWN[0])
    tampered = good[:good.rstrip("\n").rfind("\n") + 1] + flip_last_byte(good.splitlines()[-1])

    def resigned(new_body: str, key: Ed25519PrivateKey) -> str:
        return notes.note(new_body, notes.sign(new_body, ORIGIN, key))

    fake = notes.Checkpoint(ORIGIN, checkpoint.size, bytes(32), checkpoint.extensions).body()
    bigger = notes.Checkpoint(ORIGIN, checkpoint.size + 1, checkpoint.root, checkpoint.extensions).body()
    older = notes.Checkpoint(ORIGIN, 8, checkpoint.root, checkpoint.extensions).body()
    return {
        "unknown witness": (cosigned(note, UNKNOWN).encode(), 400),
        "tampered cosignature": (tampered.encode(), 400),
        "known then tampered": ((tampered + cosigned(note, KNOWN[1])[len(note):]).encode(), 400),
        "tampered after a good one": ((cosigned(note, KNOWN[1]) + flip_last_byte(
            cosigned(note, KNOWN[0])[len(note):])).encode(), 400),
        "cosigned a changed note": (note.encode() + cosigned(note, KNOWN[0], body=body.replace(
            f"\n{checkpoint.size}\n", "\n7\n"))[len(note):].encode(), 400),
        "fake root signed with another key": (cosigned(resigned(fake, other_key), KNOWN[0]).encode(), 404),
        "same note signed with another key": (cosigned(resigned(body, other_key), KNOWN[0]).encode(), 201),
        "size changed, not signed": (cosigned(resigned(bigger, other_key), KNOWN[0]).encode(), 404),
        "another checkpoint's size": (cosigned(resigned(older, other_key), KNOWN[0]).encode(), 404),
        "over 16 KiB": (good.encode() + b"x" * (16 * 1024), 413),
        "exactly 16 KiB of garbage": (b"x" * (16 * 1024), 400),
        "not UTF-8": (b"\xff\xfe" + good.encode(), 400),
        "latin-1": (good.replace("\u2014", "-").encode() + "é".encode("latin-1"), 400),
        "empty": (b"", 400),
        "no signatures": (body.encode(), 400),
        "not a checkpoint": (b"hello\n\n\xe2\x80\x94 witness.example.org AAAA\n", 400),
        "no blank line": (good.replace("\n\n", "\n").encode(), 400),
    }


@pytest.mark.both_databases
def test_refused_cosignatures_leave_nothing_written(db, client, signed_log):
    checkpoints, events = count(db, AuditCheckpoint), count(db, AuditEvent)
    refusals = _refusals(signed_log, Ed25519PrivateKey.generate())
    # The log's body with another key's signature is still the note this log signed: the
    # witness's cosignature over it holds, and is kept (the signature lines are not the note).
    accepted = refusals.pop("same note signed with another key")
    for name, (data, status) in refusals.items():
        response = post_note(client, data)
        assert response.status_code == status, (name, response.status_code, response.get_data(as_text=True))
        one_line(response)
        assert stored_cosignatures(db) == [], name
        assert (count(db, AuditCheckpoint), count(db, AuditEvent)) == (checkpoints, events), name
    assert post_note(client, accepted[0]).status_code == accepted[1]


def test_a_chunked_body_over_16_kib_is_refused_too(db, live_server, signed_log):
    # A valid cosignature, padded past 16 KiB with a long signature line by a key nobody knows
    # (which the note format lets a verifier ignore), sent without a Content-Length.
    padding = "\u2014 padding.example " + base64.b64encode(bytes(30_000)).decode() + "\n"
    data = (cosigned(signed_log, KNOWN[0]) + padding).encode()
    address = urlsplit(live_server)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("POST", "/audit/cosignatures", headers={"Content-Type": "text/plain"},
                           body=(data[i:i + 4096] for i in range(0, len(data), 4096)), encode_chunked=True)
        response = connection.getresponse()
        status, _ = response.status, response.read()
    finally:
        connection.close()
    assert status == 413
    assert stored_cosignatures(db) == []


def test_a_cosignature_before_any_checkpoint_is_404(db, client, public_key):
    other = Ed25519PrivateKey.generate()
    body = notes.Checkpoint(ORIGIN, 1, bytes(32), ("head " + "0" * 64,)).body()
    text = cosigned(notes.note(body, notes.sign(body, ORIGIN, other)), KNOWN[0])
    response = post_note(client, text.encode())
    assert response.status_code == 404 and "never signed" in one_line(response)
    assert count(db, AuditCosignature) == 0 and count(db, AuditCheckpoint) == 0
