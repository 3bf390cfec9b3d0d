"""Signed notes, checkpoints and cosignatures, read back by hand the way the C2SP specs describe them."""
from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow import notes
from workflow.merkle import EMPTY_ROOT, leaf_hash, root
from workflow.notes import COSIGNATURE_V1, ED25519, Checkpoint

ORIGIN = "restraint.example/audit"
WITNESS = "witness.example/w1"
ROOT = root([leaf_hash(bytes([n])) for n in range(8)])
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
EM_DASH = "\u2014"

# The example of c2sp.org/signed-note: a verifier key and the note it signed.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n"
             f"{EM_DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZ"
             "XsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
# The example of golang.org/x/mod/sumdb/note, the reference implementation: its signing key too.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = (GO_TEXT + "\n" + f"{EM_DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUg"
           "YN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
# The first example of c2sp.org/signed-note, whose text holds a blank line of its own.
POEM_TEXT = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
POEM = (POEM_TEXT + "\n"
        f"{EM_DASH} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9o"
        "JKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n")
# The example of c2sp.org/tlog-cosignature: a checkpoint signed by its log and cosigned by a witness.
COSIGNED_EXAMPLE = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
    f"{EM_DASH} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/"
    "Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    f"{EM_DASH} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
    "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n")


def raw(key) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signed_checkpoint(size: int = 8, extensions: tuple[str, ...] = ()) -> tuple[str, str]:
    body = Checkpoint(ORIGIN, size, ROOT, extensions).body()
    return body, notes.note(body, notes.sign(body, ORIGIN, LOG_KEY))


def read_by_hand(text: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """signed-note, read from its prose: text up to the last blank line, then `— name base64` lines."""
    split = text.rindex("\n\n")
    body, lines = text[:split + 1], text[split + 2:].split("\n")
    assert lines.pop() == ""  # every signature line ends in a newline
    signatures = []
    for line in lines:
        assert line.startswith("\u2014 ")
        name, encoded = line[2:].split(" ")
        data = base64.b64decode(encoded, validate=True)
        signatures.append((name, data[:4], data[4:]))
    return body, signatures


def hand_key_id(name: str, type_byte: bytes, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\x0a" + type_byte + public_key).digest()[:4]


def replace_signature(text: str, index: int, data: bytes) -> str:
    split = text.rindex("\n\n")
    lines = text[split + 2:].split("\n")
    name = lines[index][2:].split(" ")[0]
    lines[index] = f"{EM_DASH} {name} {base64.b64encode(data).decode()}"
    return text[:split + 2] + "\n".join(lines)


# --- signed checkpoints ---------------------------------------------------------------------

def test_a_signed_checkpoint_verifies_by_an_independent_reading():
    body, text = signed_checkpoint()
    assert body == f"{ORIGIN}\n8\n{base64.b64encode(ROOT).decode()}\n"
    assert text.startswith(body + "\n\u2014 " + ORIGIN + " ")

    hand_body, signatures = read_by_hand(text)
    assert hand_body == body
    [(name, key_id, signature)] = signatures
    assert name == ORIGIN
    assert key_id == hand_key_id(ORIGIN, b"\x01", raw(LOG_KEY))
    Ed25519PublicKey.from_public_bytes(raw(LOG_KEY)).verify(signature, body.encode("utf-8"))

    assert notes.verify(text, ORIGIN, LOG_KEY.public_key()) == body
    assert Checkpoint.parse(body) == Checkpoint(ORIGIN, 8, ROOT)


def test_checkpoint_bodies_round_trip_with_extension_lines_and_an_empty_tree():
    checkpoint = Checkpoint("log.example/عربي", 0, EMPTY_ROOT, ("note one", "— two"))
    assert checkpoint.body() == ("log.example/عربي\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
                                 "note one\n— two\n")
    assert Checkpoint.parse(checkpoint.body()) == checkpoint
    body, text = signed_checkpoint(extensions=("extension",))
    assert notes.verify(text, ORIGIN, LOG_KEY.public_key()) == body


def test_the_signed_note_spec_example_verifies():
    name, key_type, public_key = notes.parse_verifier_key(SPEC_VKEY)
    assert (name, key_type) == ("example.com/foo", ED25519)
    assert hand_key_id(name, b"\x01", raw(public_key)).hex() == "530d903a"
    assert notes.verifier_key(name, public_key) == SPEC_VKEY
    assert notes.verify(SPEC_NOTE, name, public_key) == "This is an example message.\n"
    with pytest.raises(ValueError, match="bad signature by example.com/foo"):
        notes.verify(SPEC_NOTE.replace("example message", "example massage"), name, public_key)


def test_signing_reproduces_the_reference_implementations_note_byte_for_byte():
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert seed[0] == ED25519
    private_key = Ed25519PrivateKey.from_private_bytes(seed[1:])
    assert notes.verifier_key("PeterNeumann", private_key.public_key()) == GO_VKEY
    assert notes.note(GO_TEXT, notes.sign(GO_TEXT, "PeterNeumann", private_key)) == GO_NOTE
    assert notes.verify(GO_NOTE, "PeterNeumann", notes.parse_verifier_key(GO_VKEY)[2]) == GO_TEXT


def test_a_note_text_may_hold_blank_lines_and_ends_at_the_last_one():
    body, [signature] = notes.parse(POEM)
    assert body == POEM_TEXT
    assert (signature.name, len(signature.key_hash), len(signature.signature)) == (
        "quasimodo.example/salvatore", 4, 64)
    assert notes.note(body, signature.line) == POEM


def test_the_cosignature_spec_example_has_the_documented_layout():
    body, signatures = notes.parse(COSIGNED_EXAMPLE)
    assert Checkpoint.parse(body).size == 20852163
    log, witness = signatures
    assert (log.name, len(log.signature)) == ("example.com/behind-the-sofa", 64)
    assert (witness.name, len(witness.signature)) == ("witness.example.com/w1", 8 + 64)
    # The spec's own example of the signed message says "time 1679315147".
    assert int.from_bytes(witness.signature[:8], "big") == 1679315147


# --- what parse and verify refuse ---------------------------------------------------------

def lines_of(text: str) -> str:
    return text[text.rindex("\n\n") + 2:]


@pytest.mark.parametrize("make, message", [
    (lambda body, text: body + lines_of(text), "no blank line"),
    (lambda body, text: body + "\n", "no signature"),
    (lambda body, text: body + "\n\n", "no signature"),
    (lambda body, text: text[:-1], "must end with a newline"),
    (lambda body, text: body + f"\n{EM_DASH} {ORIGIN} not*base64!\n", "not valid base64"),
    (lambda body, text: body + f"\n{EM_DASH} {ORIGIN} AAAAAA==\n", "shorter than a key ID"),
    (lambda body, text: body + f"\n{EM_DASH} {ORIGIN} AAAAAAF=\n", "not canonical base64"),
    (lambda body, text: text.replace(EM_DASH, "-"), "em dash"),
    (lambda body, text: text.replace(f"{EM_DASH} ", EM_DASH), "em dash"),
    (lambda body, text: text.replace(f"{ORIGIN} ", ORIGIN), "no space"),
    (lambda body, text: text.replace(f" {ORIGIN} ", " log+key "), "contains a space, a '\\+'"),
    (lambda body, text: text.replace(f" {ORIGIN} ", " log\u00a0key "), "contains a space"),
    (lambda body, text: text.replace("\n8\n", "\n8\r\n"), "control character"),
    (lambda body, text: text + lines_of(text) * 100, "more than 100"),
])
def test_parse_refuses_malformed_notes(make, message):
    body, text = signed_checkpoint()
    with pytest.raises(ValueError, match=message):
        notes.parse(make(body, text))


def test_a_hundred_signatures_are_accepted():
    body, text = signed_checkpoint()
    assert len(notes.parse(text + lines_of(text) * 99)[1]) == 100


def test_verify_refuses_a_tampered_body_and_a_tampered_signature():
    body, text = signed_checkpoint()
    with pytest.raises(ValueError, match=f"bad signature by {ORIGIN}"):
        notes.verify(text.replace("\n8\n", "\n9\n"), ORIGIN, LOG_KEY.public_key())
    [(_, key_id, signature)] = read_by_hand(text)[1]
    changed = replace_signature(text, 0, key_id + bytes([signature[0] ^ 1]) + signature[1:])
    with pytest.raises(ValueError, match=f"bad signature by {ORIGIN}"):
        notes.verify(changed, ORIGIN, LOG_KEY.public_key())


def test_verify_finds_no_signature_under_a_wrong_key_hash_name_or_key():
    body, text = signed_checkpoint()
    [(_, key_id, signature)] = read_by_hand(text)[1]
    wrong_id = replace_signature(text, 0, bytes([key_id[0] ^ 1]) + key_id[1:] + signature)
    with pytest.raises(ValueError, match=f"no signature by {ORIGIN}"):
        notes.verify(wrong_id, ORIGIN, LOG_KEY.public_key())
    with pytest.raises(ValueError, match="no signature by other.example/log"):
        notes.verify(text, "other.example/log", LOG_KEY.public_key())
    with pytest.raises(ValueError, match=f"no signature by {ORIGIN}"):
        notes.verify(text, ORIGIN, WITNESS_KEY.public_key())


def test_signatures_by_unknown_keys_are_ignored():
    body, text = signed_checkpoint()
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(32))
    text = notes.note(body, notes.sign(body, "stranger.example", stranger),
                      notes.sign(body, ORIGIN, stranger), lines_of(text))
    assert notes.verify(text, ORIGIN, LOG_KEY.public_key()) == body


@pytest.mark.parametrize("body, message", [
    (f"{ORIGIN}\n08\n{base64.b64encode(ROOT).decode()}\n", "leading zeroes"),
    (f"{ORIGIN}\n-8\n{base64.b64encode(ROOT).decode()}\n", "not a decimal"),
    (f"{ORIGIN}\n+8\n{base64.b64encode(ROOT).decode()}\n", "not a decimal"),
    (f"{ORIGIN}\n 8\n{base64.b64encode(ROOT).decode()}\n", "not a decimal"),
    (f"{ORIGIN}\n\u0668\n{base64.b64encode(ROOT).decode()}\n", "not a decimal"),
    (f"{ORIGIN}\n\n{base64.b64encode(ROOT).decode()}\n", "not a decimal"),
    (f"\n8\n{base64.b64encode(ROOT).decode()}\n", "origin is empty"),
    (f"{ORIGIN}\n8\n{base64.b64encode(ROOT[:31]).decode()}\n", "31 bytes, not 32"),
    (f"{ORIGIN}\n8\n{base64.b64encode(ROOT).decode()[:-1]}\n", "not valid base64"),
    (f"{ORIGIN}\n8\n{ROOT.hex()}\n", "not 32|not valid base64"),
    (f"{ORIGIN}\n8\n{base64.b64encode(ROOT).decode()}\n\n", "extension line is empty"),
    (f"{ORIGIN}\n8\n", "at least 3 lines"),
    (f"{ORIGIN}\n8\n{base64.b64encode(ROOT).decode()}", "must end with a newline"),
])
def test_checkpoint_parse_refuses(body, message):
    with pytest.raises(ValueError, match=message):
        Checkpoint.parse(body)


@pytest.mark.parametrize("fields", [
    dict(origin="", size=1, root=ROOT), dict(origin="a\nb", size=1, root=ROOT),
    dict(origin=ORIGIN, size=-1, root=ROOT), dict(origin=ORIGIN, size=True, root=ROOT),
    dict(origin=ORIGIN, size=1, root=ROOT[:31]),
    dict(origin=ORIGIN, size=1, root=ROOT, extensions=("",)),
])
def test_a_checkpoint_cannot_hold_what_its_body_cannot_say(fields):
    with pytest.raises(ValueError):
        Checkpoint(**fields)


def test_signing_refuses_bad_names_and_texts():
    with pytest.raises(ValueError, match="contains a space"):
        notes.sign("text\n", "two words", LOG_KEY)
    with pytest.raises(ValueError, match="must not be empty"):
        notes.sign("text\n", "", LOG_KEY)
    with pytest.raises(ValueError, match="must end with a newline"):
        notes.sign("text", ORIGIN, LOG_KEY)
    with pytest.raises(ValueError, match="at least one signature"):
        notes.note("text\n")


# --- verifier keys --------------------------------------------------------------------------

def test_verifier_keys_round_trip_for_both_key_types():
    public_key = WITNESS_KEY.public_key()
    for key_type, type_byte in ((ED25519, b"\x01"), (COSIGNATURE_V1, b"\x04")):
        vkey = notes.verifier_key(WITNESS, public_key, key_type)
        assert vkey == (f"{WITNESS}+{hand_key_id(WITNESS, type_byte, raw(public_key)).hex()}+"
                        f"{base64.b64encode(type_byte + raw(public_key)).decode()}")
        name, parsed_type, parsed = notes.parse_verifier_key(vkey)
        assert (name, parsed_type, raw(parsed)) == (WITNESS, key_type, raw(public_key))
    assert notes.key_hash(WITNESS, COSIGNATURE_V1, raw(public_key)) == hand_key_id(WITNESS, b"\x04",
                                                                                   raw(public_key))


@pytest.mark.parametrize("vkey, message", [
    ("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
    ("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "does not match"),
    ("example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "8 hexadecimal"),
    ("example.com/foo+530d903a", "<name>\\+<key ID>"),
    ("example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "not of type"),
    ("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv", "32 bytes"),
    ("example.com/foo+530d903a+Aekye!", "not valid base64"),
    ("two words+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", "contains a space"),
])
def test_parse_verifier_key_refuses(vkey, message):
    with pytest.raises(ValueError, match=message):
        notes.parse_verifier_key(vkey)


# --- cosignatures ---------------------------------------------------------------------------

def test_a_cosignature_round_trips_and_reads_by_hand():
    body, text = signed_checkpoint()
    line = notes.cosign(body, WITNESS, WITNESS_KEY, 1_700_000_000)
    assert notes.verify_cosignature(body, line, WITNESS, WITNESS_KEY.public_key()) == 1_700_000_000

    [(name, key_id, data)] = read_by_hand("x\n\n" + line)[1]
    assert name == WITNESS
    assert key_id == hand_key_id(WITNESS, b"\x04", raw(WITNESS_KEY))
    assert len(data) == 72 and int.from_bytes(data[:8], "big") == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + body.encode()
    Ed25519PublicKey.from_public_bytes(raw(WITNESS_KEY)).verify(data[8:], message)

    cosigned = notes.note(body, lines_of(text), line)
    assert notes.verify(cosigned, ORIGIN, LOG_KEY.public_key()) == body
    _, signatures = notes.parse(cosigned)
    assert notes.verify_cosignature(body, signatures[1], WITNESS,
                                    WITNESS_KEY.public_key()) == 1_700_000_000
    # A cosignature is not a plain signature by the same key, and the other way round.
    with pytest.raises(ValueError, match=f"no signature by {WITNESS}"):
        notes.verify(notes.note(body, line), WITNESS, WITNESS_KEY.public_key())
    with pytest.raises(ValueError, match=f"no cosignature by {WITNESS}"):
        notes.verify_cosignature(body, notes.sign(body, WITNESS, WITNESS_KEY), WITNESS,
                                 WITNESS_KEY.public_key())


def test_a_cosignature_with_a_tampered_timestamp_or_checkpoint_is_refused():
    body, _ = signed_checkpoint()
    line = notes.cosign(body, WITNESS, WITNESS_KEY, 1_700_000_000)
    [(_, key_id, data)] = read_by_hand("x\n\n" + line)[1]
    later = (1_700_000_001).to_bytes(8, "big")
    tampered = replace_signature("x\n\n" + line, 0, key_id + later + data[8:])[3:]
    with pytest.raises(ValueError, match=f"bad cosignature by {WITNESS}"):
        notes.verify_cosignature(body, tampered, WITNESS, WITNESS_KEY.public_key())
    with pytest.raises(ValueError, match=f"bad cosignature by {WITNESS}"):
        notes.verify_cosignature(body.replace("\n8\n", "\n9\n"), line, WITNESS, WITNESS_KEY.public_key())
    with pytest.raises(ValueError, match=f"no cosignature by {WITNESS}"):
        notes.verify_cosignature(body, line, WITNESS, LOG_KEY.public_key())
    with pytest.raises(ValueError, match="no cosignature by other.example"):
        notes.verify_cosignature(body, line, "other.example", WITNESS_KEY.public_key())


@pytest.mark.parametrize("body, timestamp, message", [
    ("not a checkpoint\n", 0, "at least 3 lines"),
    (None, -1, "between 0 and 2\\*\\*63 - 1"),
    (None, 2**63, "between 0 and 2\\*\\*63 - 1"),
])
def test_cosign_refuses_what_it_must_not_sign(body, timestamp, message):
    with pytest.raises(ValueError, match=message):
        notes.cosign(body or signed_checkpoint()[0], WITNESS, WITNESS_KEY, timestamp)
