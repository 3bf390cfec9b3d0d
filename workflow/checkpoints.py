"""Signed checkpoints of the audit chain (Ed25519), and the export line format.

Standard library and `cryptography` only: the offline verifier uses this module too.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow.audit_chain import canonical_json


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keys() -> tuple[bytes, bytes]:
    """A new key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_pem, public_pem


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the chain had `head` at `seq` at time `at` (UTC)."""

    seq: int
    head: str
    at: str
    key_id: str
    signature: str = ""

    def message(self) -> bytes:
        return canonical_json({"seq": self.seq, "head": self.head, "at": self.at,
                               "key_id": self.key_id}).encode()

    def to_json(self) -> str:
        return canonical_json(asdict(self))

    @classmethod
    def from_json(cls, line: str) -> Checkpoint:
        data = json.loads(line)
        return cls(int(data["seq"]), str(data["head"]), str(data["at"]), str(data["key_id"]),
                   str(data["signature"]))


def sign(private_key: Ed25519PrivateKey, seq: int, head: str, at: str) -> Checkpoint:
    unsigned = Checkpoint(seq, head, at, key_id(private_key.public_key()))
    signature = base64.b64encode(private_key.sign(unsigned.message())).decode()
    return Checkpoint(seq, head, at, unsigned.key_id, signature)


def signature_problem(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> str | None:
    """None if the checkpoint is signed by this key, else why not."""
    if checkpoint.key_id != key_id(public_key):
        return f"unknown key id {checkpoint.key_id}"
    try:
        public_key.verify(base64.b64decode(checkpoint.signature, validate=True), checkpoint.message())
    except (InvalidSignature, ValueError):
        return "bad signature"
    return None


def export_line(seq: int, prev_hash: str, hash_: str, payload: str) -> str:
    """One line of a JSONL export; the payload holds every field of the event."""
    return json.dumps({"seq": seq, "prev_hash": prev_hash, "hash": hash_, "payload": payload},
                      ensure_ascii=False, separators=(",", ":"))
