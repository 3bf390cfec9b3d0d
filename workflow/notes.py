"""C2SP signed notes, tlog checkpoints and tlog cosignatures (Ed25519 and cosignature/v1).

Standard library and `cryptography` only: the offline verifier and a witness use it without the app.
Specifications: c2sp.org/signed-note, c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: Signature type bytes of signed-note: plain Ed25519, and the timestamped witness cosignature.
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
KEY_TYPES = (ED25519, COSIGNATURE_V1)
#: A signature line starts with U+2014 EM DASH and a space.
SIGNATURE_PREFIX = "\u2014 "
#: The spec asks verifiers to accept at least 16 and to cap the count; Go's note package caps at 100.
MAX_SIGNATURES = 100
MAX_TIMESTAMP = 2**63 - 1
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: who signed, their key hash, the signature bytes, the line."""

    name: str
    key_hash: bytes
    signature: bytes
    line: str


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64decode(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as error:
        raise ValueError(f"{what} is not valid base64: {error}") from None
    # Refuse other spellings of the same bytes (stray padding bits), so one value has one text.
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError(f"{what} is not canonical base64")
    return data


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError("a key name must not be empty")
    if "+" in name or any(char.isspace() for char in name) or _CONTROL.search(name):
        raise ValueError(f"key name {name!r} contains a space, a '+' or a control character")


def _check_text(text: str) -> None:
    """Refuse a note text that the signed-note format cannot carry."""
    if not text.endswith("\n"):
        raise ValueError("the note text must end with a newline")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the note is not valid UTF-8") from None
    if _CONTROL.search(text):
        raise ValueError("the note contains an ASCII control character other than newline")


def key_hash(name: str, key_type: int, raw_public_key: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(key name || 0x0A || type byte || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + raw_public_key).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey, key_type: int = ED25519) -> str:
    """The vkey text that names a public key: `<name>+<hex key ID>+<base64(type || key)>`."""
    _check_name(name)
    if key_type not in KEY_TYPES:
        raise ValueError(f"key type {key_type:#04x} is not Ed25519 (0x01) or cosignature/v1 (0x04)")
    raw = _raw(public_key)
    return f"{name}+{key_hash(name, key_type, raw).hex()}+{_b64encode(bytes([key_type]) + raw)}"


def parse_verifier_key(text: str) -> tuple[str, int, Ed25519PublicKey]:
    """Read a vkey into (name, key type, public key), checking its key ID."""
    # A key read from a file keeps its newline; the base64 part may itself contain '+'.
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise ValueError("a verifier key is <name>+<key ID>+<base64 key>")
    name, hex_id, encoded = parts
    _check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise ValueError(f"key ID {hex_id!r} is not 8 hexadecimal digits")
    data = _b64decode(encoded, "the verifier key")
    if not data or data[0] not in KEY_TYPES:
        raise ValueError("the verifier key is not of type Ed25519 (0x01) or cosignature/v1 (0x04)")
    if len(data) != 33:
        raise ValueError(f"an Ed25519 verifier key holds 32 bytes of key, not {len(data) - 1}")
    key_type, raw = data[0], data[1:]
    if key_hash(name, key_type, raw) != bytes.fromhex(hex_id):
        raise ValueError(f"key ID {hex_id} does not match the name and key")
    return name, key_type, Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Checkpoint:
    """The body of a tlog checkpoint: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self):
        lines = (self.origin, *self.extensions)
        if not self.origin:
            raise ValueError("the checkpoint origin must not be empty")
        if any(not line or "\n" in line or _CONTROL.search(line) for line in lines):
            raise ValueError("origin and extension lines are non-empty, one line each, "
                             "without control characters")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ValueError(f"tree size {self.size!r} is not a count")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise ValueError("the root hash is 32 bytes")

    def body(self) -> str:
        """The note text of this checkpoint."""
        lines = (self.origin, str(self.size), _b64encode(self.root), *self.extensions)
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Read a checkpoint note text, strictly."""
        _check_text(body)
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise ValueError(f"a checkpoint has at least 3 lines, this has {len(lines)}")
        origin, size, root_text, *extensions = lines
        if not origin:
            raise ValueError("the checkpoint origin is empty")
        if not _DECIMAL.fullmatch(size):
            raise ValueError(f"tree size {size!r} is not a decimal number without leading zeroes")
        root = _b64decode(root_text, "the root hash")
        if len(root) != 32:
            raise ValueError(f"the root hash is {len(root)} bytes, not 32")
        if not all(extensions):
            raise ValueError("a checkpoint extension line is empty")
        return cls(origin, int(size), root, tuple(extensions))


def _line(name: str, data: bytes) -> str:
    return f"{SIGNATURE_PREFIX}{name} {_b64encode(data)}\n"


def sign(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """The Ed25519 signature line of `name` over a note text."""
    _check_text(body)
    _check_name(name)
    raw = _raw(private_key.public_key())
    return _line(name, key_hash(name, ED25519, raw) + private_key.sign(body.encode("utf-8")))


def note(body: str, *signature_lines: str) -> str:
    """A signed note: the text, a blank line, then the signature lines."""
    _check_text(body)
    if not signature_lines:
        raise ValueError("a signed note has at least one signature")
    for line in signature_lines:
        _signature(line.removesuffix("\n"))
    return body + "\n" + "".join(line if line.endswith("\n") else line + "\n"
                                 for line in signature_lines)


def _signature(line: str) -> Signature:
    """Read one signature line (without its newline)."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise ValueError(f"signature line {line!r} does not start with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX):].partition(" ")
    if not space:
        raise ValueError(f"signature line {line!r} has no space between name and signature")
    _check_name(name)
    data = _b64decode(encoded, f"the signature by {name}")
    if len(data) < 5:
        raise ValueError(f"the signature by {name} is shorter than a key ID and a signature")
    return Signature(name, data[:4], data[4:], line + "\n")


def parse(text: str) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and its signatures, refusing anything malformed."""
    _check_text(text)
    split = text.rfind("\n\n")  # the text may hold blank lines; the last one ends it
    if split < 0:
        raise ValueError("no blank line between the note text and its signatures")
    body, lines = text[:split + 1], text[split + 2:]
    if not lines:
        raise ValueError("the note has no signature")
    lines = lines[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise ValueError(f"the note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    return body, [_signature(line) for line in lines]


def verify(text: str, name: str, public_key: Ed25519PublicKey) -> str:
    """The text of a signed note if `name`'s Ed25519 key signed it; ValueError otherwise."""
    body, signatures = parse(text)
    expected = key_hash(name, ED25519, _raw(public_key))
    for signature in signatures:
        # Lines by other keys are ignored, as the spec requires; the first line by this key decides.
        if signature.name == name and signature.key_hash == expected:
            try:
                public_key.verify(signature.signature, body.encode("utf-8"))
            except InvalidSignature:
                raise ValueError(f"bad signature by {name}") from None
            return body
    raise ValueError(f"no signature by {name}")


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode("utf-8")


def cosign(body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature/v1 line of witness `name` over a checkpoint text, at POSIX time `timestamp`."""
    Checkpoint.parse(body)  # a witness cosigns checkpoints, nothing else
    _check_name(name)
    if (isinstance(timestamp, bool) or not isinstance(timestamp, int)
            or not 0 <= timestamp <= MAX_TIMESTAMP):
        raise ValueError(f"timestamp {timestamp!r} is not between 0 and 2**63 - 1")
    raw = _raw(private_key.public_key())
    signature = private_key.sign(_cosigned_message(body, timestamp))
    return _line(name, key_hash(name, COSIGNATURE_V1, raw) + timestamp.to_bytes(8, "big") + signature)


def verify_cosignature(body: str, line_or_signature: str | Signature, name: str,
                       public_key: Ed25519PublicKey) -> int:
    """The time at which witness `name` cosigned a checkpoint text; ValueError if it did not."""
    Checkpoint.parse(body)
    signature = (line_or_signature if isinstance(line_or_signature, Signature)
                 else _signature(line_or_signature.removesuffix("\n")))
    if signature.name != name or signature.key_hash != key_hash(name, COSIGNATURE_V1, _raw(public_key)):
        raise ValueError(f"no cosignature by {name}")
    if len(signature.signature) != 8 + 64:
        raise ValueError(f"bad cosignature by {name}: not a timestamp and an Ed25519 signature")
    timestamp = int.from_bytes(signature.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise ValueError(f"bad cosignature by {name}: timestamp beyond 2**63 - 1")
    try:
        public_key.verify(signature.signature[8:], _cosigned_message(body, timestamp))
    except InvalidSignature:
        raise ValueError(f"bad cosignature by {name}") from None
    return timestamp
