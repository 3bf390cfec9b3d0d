"""Evidence files stored by content: objects/<first two hex>/<sha256>, written once, read-only.

An upload streams into a temporary file inside the store while its SHA-256 is computed and
is flushed to disk. It is linked to its final name, which never replaces an existing file,
only by the command that records it (`StoredFile.keep`), once every check has passed: a
refused upload leaves nothing (a commit that then fails leaves the file, which another
record may name, and no record of it).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype

from workflow.errors import Invalid
from workflow.words import _

CHUNK = 1024 * 1024
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
HEADER_BYTES = 8192


@dataclass
class StoredFile:
    """Bytes received by the store, by their hash; kept under it once `keep` is called."""

    sha256: str
    size: int
    detected_type: str | None
    target: Path
    #: The received bytes, until they are kept or discarded.
    incoming: Path | None
    #: Whether keeping them stored bytes the store did not hold before.
    created: bool = False

    def keep(self) -> bool:
        """Give the bytes their final name (once); whether the store did not hold them yet."""
        if self.incoming is not None:
            self.created = _publish(self.incoming, self.target)
            self.discard()
        return self.created

    def discard(self) -> None:
        """Remove the received bytes not kept (a kept file keeps its final name)."""
        if self.incoming is not None:
            self.incoming.unlink(missing_ok=True)
            self.incoming = None

    def __enter__(self) -> StoredFile:
        return self

    def __exit__(self, *_exception) -> None:
        self.discard()


def clean_filename(name: str | None) -> str:
    """The uploader's file name, fit to show: no path, no control characters, at most 255."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:255] if name not in ("", ".", "..") else "unnamed"


def clean_declared_hash(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    if not value:
        return None
    if not SHA256_HEX.match(value):
        raise Invalid(_("declared SHA-256: 64 hexadecimal characters"), "declared_sha256")
    return value


def _publish(received: Path, target: Path) -> bool:
    """Give received bytes their final name; False if the same bytes are stored already."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(received, 0o444)
    try:
        # A hard link is atomic like a rename, but fails instead of replacing a file.
        os.link(received, target)
    except FileExistsError:
        return False
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return True


HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml")


def detect_type(header: bytes) -> str | None:
    """The type the bytes themselves show: a known signature, else HTML or plain text, else None."""
    kind = filetype.guess(header)
    if kind:
        return kind.mime
    start = header.lstrip().lower()
    if start.startswith(HTML_STARTS):
        # Markup is what a browser could be tricked into running: name it as such.
        return "text/html" if not start.startswith((b"<svg", b"<?xml")) else "image/svg+xml"
    try:
        header.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the header is still text.
        try:
            header[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return "text/plain" if header else None


class EvidenceStore:
    """The folder that holds evidence objects."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.incoming = self.root / "incoming"

    def path(self, sha256: str) -> Path:
        if not SHA256_HEX.match(sha256):
            raise ValueError("not a SHA-256")
        return self.objects / sha256[:2] / sha256

    def receive(self, stream, declared_sha256: str | None = None) -> StoredFile:
        """Take in the bytes of `stream`, not yet kept; Invalid if not of the declared hash."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        digest, size, header = hashlib.sha256(), 0, b""
        handle = tempfile.NamedTemporaryFile(dir=self.incoming, prefix="upload-", delete=False)
        received = Path(handle.name)
        try:
            with handle:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    handle.write(chunk)
                    size += len(chunk)
                    if len(header) < HEADER_BYTES:
                        header += chunk[:HEADER_BYTES - len(header)]
                handle.flush()
                os.fsync(handle.fileno())
            sha256 = digest.hexdigest()
            if declared_sha256 and declared_sha256 != sha256:
                raise Invalid(_("declared SHA-256 %(declared)s does not match the file's %(sha256)s: "
                                "nothing was stored", declared=declared_sha256, sha256=sha256),
                              "declared_sha256")
        except BaseException:
            received.unlink(missing_ok=True)
            raise
        return StoredFile(sha256, size, detect_type(header), self.path(sha256), received)

    def put(self, stream, declared_sha256: str | None = None) -> StoredFile:
        """Store the bytes of `stream` at once (see `receive`)."""
        with self.receive(stream, declared_sha256) as stored:
            stored.keep()
        return stored

    def check(self, sha256: str) -> str | None:
        """Re-hash a stored object: None if intact, else what is wrong."""
        path = self.path(sha256)
        if not path.exists():
            return "missing"
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return None if digest.hexdigest() == sha256 else f"changed (now {digest.hexdigest()})"
