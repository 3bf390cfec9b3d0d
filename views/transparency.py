"""The transparency log over HTTP: the latest checkpoint, proofs, and witnesses' cosignatures.

Checkpoints and consistency proofs reveal only sizes and hashes, so anyone may read them;
an inclusion proof names an event, so it needs an auditor. Errors are one plain-text line.
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from views import db
from workflow import transparency
from workflow.errors import WorkflowError
from workflow.roles import AUDITOR

blueprint = Blueprint("transparency", __name__, url_prefix="/audit")
#: Larger than any log this will hold, and inside every database's integer range.
MAX_NUMBER = 2 ** 62
#: A cosigned note is a few hundred bytes; refuse anything much larger unread.
MAX_NOTE_BYTES = 16 * 1024
#: Readable without signing in.
PUBLIC = frozenset({"transparency.checkpoint", "transparency.consistency", "transparency.cosign"})


def _plain(text: str, status: int = 200) -> Response:
    return Response(text if text.endswith("\n") else text + "\n", status, mimetype="text/plain")


def _numbers(*names: str) -> tuple[int, ...]:
    """Query parameters that must be whole numbers; ValueError naming the first that is not."""
    values = []
    for name in names:
        value = request.args.get(name, "")
        if not value.isascii() or not value.isdigit() or len(value) > 19 or int(value) > MAX_NUMBER:
            raise ValueError(f"{name} must be a whole number, not {value[:40]!r}")
        values.append(int(value))
    return tuple(values)


def _refused(error: WorkflowError) -> Response:
    return _plain(str(error), 400 if error.status in (400, 422) else error.status)


@blueprint.route("/checkpoint")
def checkpoint():
    """The latest signed checkpoint, as a C2SP note."""
    latest = transparency.latest_checkpoint(db.session())
    if latest is None:
        return _plain("no checkpoint has been signed yet", 404)
    return _plain(latest.note)


@blueprint.route("/proof/consistency")
def consistency():
    """The consistency proof between two tree sizes, as hex hashes."""
    try:
        old, new = _numbers("old", "new")
        proof = transparency.consistency_proof(db.session(), old, new)
    except ValueError as error:
        return _plain(str(error), 400)
    except WorkflowError as error:
        return _refused(error)
    return jsonify(old=old, new=new, proof=[node.hex() for node in proof])


@blueprint.route("/proof/inclusion")
def inclusion():
    """The inclusion proof of the event at `seq` in the tree of `size` events (auditors only)."""
    if AUDITOR not in current_user.roles:
        return _plain("Inclusion proofs need the auditor role.", 403)
    session = db.session()
    try:
        seq, size = _numbers("seq", "size")
        proof = transparency.inclusion_proof(session, seq, size)
        leaf = transparency.nodes(session, [(0, seq - 1)])[(0, seq - 1)]
    except ValueError as error:
        return _plain(str(error), 400)
    except WorkflowError as error:
        return _refused(error)
    return jsonify(seq=seq, size=size, leaf=leaf.hex(), proof=[node.hex() for node in proof])


@blueprint.route("/cosignatures", methods=["POST"])
def cosign():
    """Keep a known witness's cosignature of one of our checkpoints (the note, cosigned, as text)."""
    # Read at most one byte past the limit: a chunked body announces no length.
    data = b"" if (request.content_length or 0) > MAX_NOTE_BYTES else request.stream.read(MAX_NOTE_BYTES + 1)
    if len(data) > MAX_NOTE_BYTES or (request.content_length or 0) > MAX_NOTE_BYTES:
        return _plain(f"a cosigned note is at most {MAX_NOTE_BYTES} bytes", 413)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _plain("the note is not UTF-8 text", 400)
    try:
        with db.transaction() as write:
            kept = transparency.add_cosignatures(write, db.database().info["log_keys"], text)
    except WorkflowError as error:
        return _refused(error)
    return _plain(f"kept {len(kept)} cosignatures", 201 if kept else 200)
