"""Command-line interface: `flask --app app db|users|audit ...`."""
from __future__ import annotations

import csv
import os
import signal
import sys
import threading
from datetime import date
from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import migrate
from models.audit_schema import AuditLossRefused
from models.database import Database
from models.user import User
from workflow import (accounts, audit, audit_log, audit_verification, case_figures, clock, demo,
                      evidence, importer, log_keys, notes, notifications, outbox, registers,
                      second_factor, transparency)
from workflow.audit import Actor
from workflow.errors import WorkflowError
from workflow.evidence_store import EvidenceStore
from workflow.spreadsheet import neutralise_row
from views.commands import sentence
from views.language import translated
from workflow.words import _, _n

#: Whoever runs the command line reads the whole log, as an auditor does.
_AUDITOR = Actor(None, "system", ("auditor",))

db_cli = AppGroup("db", help="Database schema migrations.")
users_cli = AppGroup("users", help="User accounts.")
audit_cli = AppGroup("audit", help="The audit log.")
evidence_cli = AppGroup("evidence", help="Evidence files.")
demo_cli = AppGroup("demo", help="Demonstration data.")
incidents_cli = AppGroup("incidents", help="Incident records from outside.")
cases_cli = AppGroup("cases", help="Cases.")
registers_cli = AppGroup("registers", help="Registers of parties, bodies, instruments, fora and actors.")
notifications_cli = AppGroup("notifications", help="Notifications: the overdue sweep and the mail worker.")


def echo(message="", **options) -> None:
    """A line for a person, in the language the environment names (`LANG=ar_SY.UTF-8`); the
    lines scripts read (f-strings, not sentences) stay as they are."""
    click.echo(translated(message), **options)


class Refused(click.ClickException):
    """A refusal: one line on stderr, in the environment's language, and exit code 1."""

    def __init__(self, message) -> None:
        super().__init__(str(translated(message)))


def _database() -> Database:
    return current_app.extensions["database"]


def _run(service, *args, **kwargs):
    """Run one service call in a transaction; a refusal is one line on stderr and exit 1."""
    try:
        with _database().transaction() as session:
            return service(session, *args, **kwargs)
    except WorkflowError as error:
        raise Refused(sentence(error)) from None


def _active_actor(username: str) -> Actor:
    """The named active account as an actor, for `--as`; one line and exit 1 if there is none."""
    with _database().sessions() as session:
        user = session.scalar(select(User).options(selectinload(User.role_rows))
                              .where(User.username == username, User.active))
    if user is None:
        raise Refused(_("--as %(username)s: no such active user", username=username))
    return Actor.of(user)


def _on_user(username: str, change):
    """Run `change(session, actor, user)` on the named account as the system, in one transaction."""
    return _run(lambda session, actor: change(session, actor, accounts.find_user(session, username)),
                audit.SYSTEM)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str):
    """Migrate the database to REVISION (default: the newest), as the tables' owner if configured."""
    database = _owner_database()
    try:
        migrate.upgrade(database, revision, current_app.config["DATABASE_APP_ROLE"])
        echo(f"database at {migrate.current(database)}")
    except migrate.UpgradeRefused as refused:
        raise click.ClickException(str(refused)) from None
    finally:
        if database is not _database():
            database.dispose()


@db_cli.command("recount")
def db_recount():
    """Count every case's part of the dashboard's and insight's figures afresh."""
    with _database().transaction() as session:
        counted = case_figures.rebuild(session)
    echo(_n("counted %(num)s case afresh", "counted %(num)s cases afresh", counted))


@db_cli.command("downgrade", context_settings={"ignore_unknown_options": True})  # "-1" is a revision
@click.argument("revision", default="-1")
def db_downgrade(revision: str):
    """Migrate the database down to REVISION (default: one step); never silently drops the log."""
    database = _owner_database()
    try:
        migrate.downgrade(database, revision)
        echo(f"database at {migrate.current(database) or 'base (empty)'}")
    except AuditLossRefused as refused:
        raise click.ClickException(str(refused)) from None
    finally:
        if database is not _database():
            database.dispose()


def _owner_database() -> Database:
    """Migrations run as the tables' owner (MIGRATION_DATABASE_URL) when the app runs as another role."""
    url = current_app.config["MIGRATION_DATABASE_URL"]
    return Database(url) if url else _database()


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="A role; repeat for several.")
@click.option("--full-name", default="")
@click.option("--email", default="")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from the first line of standard input.")
def users_create(username, roles, full_name, email, password_stdin):
    """Create an account."""
    password = sys.stdin.readline().rstrip("\r\n")
    user = _run(accounts.create_user, audit.SYSTEM, username, password, roles, full_name, email)
    echo(_("created %(username)s (%(roles)s)", username=user.username, roles=", ".join(user.roles)))


@users_cli.command("list")
def users_list():
    """List the accounts with their roles."""
    with _database().sessions() as session:
        for user in session.scalars(select(User).options(selectinload(User.role_rows))
                                    .order_by(User.username)):
            state = "active" if user.active else "deactivated"
            echo(f"{user.username}\t{','.join(user.roles)}\t{state}")


@users_cli.command("set-roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True)
def users_set_roles(username, roles):
    """Replace the roles of an account."""
    _on_user(username, lambda session, actor, user: accounts.set_roles(session, actor, user, roles))
    echo(f"{username}: {', '.join(sorted(set(roles)))}")


@users_cli.command("deactivate")
@click.argument("username")
def users_deactivate(username):
    """Deactivate an account; its sessions end at once."""
    _on_user(username, lambda session, actor, user: accounts.set_active(session, actor, user, False))
    echo(_("%(username)s deactivated", username=username))


@users_cli.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the new password from the first line of standard input.")
def users_reset_password(username, password_stdin):
    """Set a user's password (e.g. forgotten); their sessions end."""
    password = sys.stdin.readline().rstrip("\r\n")
    _on_user(username, lambda session, actor, user: accounts.reset_password(session, actor, user,
                                                                              password))
    echo(_("%(username)s: password set; their sessions have ended", username=username))


@users_cli.command("totp-enroll")
@click.argument("username")
def users_totp_enroll(username):
    """Give a user a second factor: prints the otpauth:// URI and the recovery codes, once."""
    uri, codes = _on_user(username, second_factor.enrol_for)
    echo(_("Add this to the user's authenticator app (shown only now; it is the secret):"))
    echo(f"  {uri}")
    echo(_("Recovery codes (each works once; shown only now):"))
    for code in codes:
        echo(f"  {code}")


@users_cli.command("reset-2fa")
@click.argument("username")
def users_reset_2fa(username):
    """Remove a user's second factor (lost phone); they set up a new one at their next sign-in."""
    _on_user(username, second_factor.reset)
    echo(_("%(username)s: second factor removed; their sessions have ended", username=username))


@users_cli.command("demo")
def users_demo():
    """On an empty database, create one demo account per role and print the passwords once."""
    passwords = _run(accounts.create_demo_accounts)
    if passwords is None:
        echo(_("accounts exist already: no demo accounts created"))
        return
    echo(_("Demo accounts (the passwords are shown only now):"))
    for username, password in passwords.items():
        echo(f"  {username:<14} {password}")


@audit_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--case", "case_id", type=int, help="Only the events of this case, with their proofs.")
@click.option("--since", type=int, help="Only events from this seq on.")
def audit_export(fmt, output, case_id, since):
    """Write the audit log (or part of it) to a file, streaming; the export is itself audited."""
    _run(audit_log.record_export, audit.SYSTEM, fmt, case_id, since, output)
    count = 0
    with _database().sessions() as session, open(output, "w", encoding="utf-8", newline="") as out:
        for line in audit_log.export_lines(session, _AUDITOR, fmt, case_id, since):
            out.write(line)
            count += line.startswith('{"seq"') if fmt == "jsonl" else 1
    echo(_n("exported %(num)s event to %(output)s", "exported %(num)s events to %(output)s",
                  count - (fmt == "csv"), output=output))


def _write_private(path: Path, pem: bytes) -> None:
    """A private key, readable by its owner only, never over an existing file."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Refused(_("%(path)s exists already: not overwritten", path=str(path))) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


@audit_cli.command("keygen")
@click.option("--out", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--witness", "witness", metavar="NAME",
              help="Make a witness's key pair instead of the log's, named NAME (e.g. witness.example.org).")
def audit_keygen(directory, witness):
    """Write a new Ed25519 key pair for signing checkpoints, or for a witness that cosigns them."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = log_keys.generate_keys()
    public_key = log_keys.load_public_key(public_pem)
    if witness:
        try:
            vkey = notes.verifier_key(witness, public_key, notes.COSIGNATURE_V1)
        except ValueError as error:
            raise Refused(_("witness name: %(error)s", error=str(error))) from None
        private_path, public_path = folder / f"{witness}.pem", folder / f"{witness}.pub.pem"
    else:
        vkey = notes.verifier_key(current_app.config["AUDIT_LOG_ORIGIN"], public_key)
        private_path, public_path = folder / "audit-signing.pem", folder / "audit-signing.pub.pem"
    _write_private(private_path, private_pem)
    public_path.write_bytes(public_pem)
    echo(f"private {private_path}, public {public_path}")
    echo(f"verifier key {vkey}")


def _log_keys():
    return _database().info["log_keys"]


@audit_cli.command("checkpoint")
def audit_checkpoint():
    """Sign the log as it stands now: a C2SP checkpoint note over its Merkle tree."""
    row = _run(transparency.make_checkpoint, _log_keys())
    echo(f"checkpoint {row.seq} root={row.root} head={row.head} at {row.at}")


@audit_cli.command("checkpoints")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True))
def audit_checkpoints(output):
    """Export every checkpoint with its cosignatures, one JSON line each, for the offline verifier."""
    with _database().sessions() as session:
        lines = transparency.checkpoint_lines(session)
    Path(output).write_text("".join(lines), encoding="utf-8")
    echo(f"exported {len(lines)} checkpoints to {output}")


@audit_cli.command("verify")
def audit_verify():
    """Recompute the chain and its tree, check every checkpoint and cosignature: exit 1 if broken."""
    with _database().sessions() as session:
        report = audit_verification.verify_log(session, _log_keys())
    _run(audit_log.record_verification, audit.SYSTEM, report)
    echo(report.summary())
    sys.exit(0 if report.ok else 1)


@evidence_cli.command("fixity")
def evidence_fixity():
    """Re-hash every stored evidence file: exit 0 if all are intact, 1 listing the items that are not."""
    with _database().sessions() as session:
        checked, failures = evidence.check_fixity(session, EvidenceStore(current_app.config["EVIDENCE_DIR"]))
    if not failures:
        echo(f"OK {checked} objects intact")
        return
    _run(evidence.record_integrity_failures, failures)
    for failure in failures:
        echo(f"evidence {failure.evidence_id} (case {failure.case_id}): {failure.sha256} "
                   f"{failure.problem}", err=True)
    echo(f"FAILED {len(failures)} evidence items; {checked} objects checked", err=True)
    sys.exit(1)


@demo_cli.command("story")
def demo_story():
    """On a database with no cases, load the demonstration cases (needs the demo accounts)."""
    roles = ("investigator", "analyst", "legal_officer", "supervisor")
    with _database().sessions() as session:
        users = {user.username: user for user in session.scalars(
            select(User).options(selectinload(User.role_rows)).where(User.username.in_(roles), User.active))}
        people = {role: Actor.of(users[role]) for role in roles if role in users}
    if len(people) < len(roles):
        echo(_("the demo accounts are missing: no demonstration cases loaded"))
        return
    loaded = demo.load_story(_database(), people)
    echo(_n("loaded %(num)s demonstration case", "loaded %(num)s demonstration cases", loaded) if loaded
               else _("cases exist already: no demonstration cases loaded"))


@registers_cli.command("seed")
def registers_seed():
    """Add the register entries and aliases shipped in data/registers.toml that are missing."""
    changes = _run(registers.seed, audit.SYSTEM)
    echo(_n("registers: %(num)s entry or alias added", "registers: %(num)s entries or aliases added", changes)
               if changes else _("registers: already up to date"))


#: The exit code of an import that found changes to cases imported before and applied nothing.
CHANGES_FOUND = 3


@incidents_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "syrian-archive", "reference"]),
              default="csv", show_default=True)
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; write the others to a reject file.")
@click.option("--as", "username", default="investigator", show_default=True,
              help="The user the cases are opened by (investigator or supervisor).")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Reject file (default: PATH.rejects.csv).")
@click.option("--propose-new", is_flag=True,
              help="Propose a register entry for each party or actor no entry is known by.")
@click.option("--update", is_flag=True,
              help="Apply what the file says differently about cases imported before, as corrections.")
def incidents_import(path, fmt, skip_invalid, username, rejects, propose_new, update):
    """Import incidents as cases: all or nothing unless --skip-invalid; changes to cases imported
    before are listed, and applied only with --update (exit code 3 when listed, not applied)."""
    from workflow import import_reference, import_update
    reader = {"csv": importer.read_csv, "syrian-archive": importer.read_syrian_archive,
              "reference": import_reference.read_reference}[fmt]
    try:
        plan = reader(Path(path).read_bytes())
    except importer.ImportRefused as refused:
        raise Refused(_("%(path)s: %(refusal)s", path=path, refusal=refused.args[0])) from None
    actor = _active_actor(username)
    with _database().sessions() as session:
        importer.split_known(session, plan)
        importer.check_names(session, plan, propose_new)
        changes = import_update.changes(session, plan.duplicates)
    if plan.rejected and not skip_invalid:
        for rejected in plan.rejected:
            echo(f"{rejected.where} {rejected.source_id}: {rejected.reason}", err=True)
        raise Refused(_n("%(rejected)s of %(num)s row is invalid: nothing imported (fix it, "
                                      "or use --skip-invalid)",
                                      "%(rejected)s of %(num)s rows are invalid: nothing imported (fix them, "
                                      "or use --skip-invalid)", plan.read, rejected=len(plan.rejected)))
    for change in changes:
        for line in change.lines():
            echo(_("correcting %(change)s", change=line) if update else _("changed %(change)s", change=line))
    if changes and not update:
        echo(_n("%(num)s case imported before reads differently in %(path)s: nothing imported or "
                      "changed (import again with --update to apply it as a correction)",
                      "%(num)s cases imported before read differently in %(path)s: nothing imported or "
                      "changed (import again with --update to apply them as corrections)",
                      len(changes), path=path), err=True)
        sys.exit(CHANGES_FOUND)

    def run(session, rows, actor):
        imported = importer.import_rows(session, rows, actor)
        return imported, import_update.apply(session, changes, actor, Path(path).name)
    with click.progressbar(plan.rows, label=translated(_("Importing")), file=sys.stderr) as rows:
        imported, corrected = _run(run, rows, actor)
    for register, name in plan.proposed:
        echo(_("proposed %(register)s: %(name)s (a supervisor accepts or merges it)", register=register, name=name))
    if plan.rejected:
        rejects = rejects or f"{path}.rejects.csv"
        with open(rejects, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["where", "source_id", "reason"])
            writer.writerows(neutralise_row([r.where, r.source_id, r.reason]) for r in plan.rejected)
    counts = {"read": plan.read, "imported": imported, "duplicates": len(plan.duplicates),
              "rejected": len(plan.rejected), "rejects": rejects, "corrected": corrected}
    if plan.rejected and update:
        summary = _("read %(read)s: imported %(imported)s, already imported %(duplicates)s, rejected "
                    "%(rejected)s (written to %(rejects)s), corrected %(corrected)s", **counts)
    elif plan.rejected:
        summary = _("read %(read)s: imported %(imported)s, already imported %(duplicates)s, rejected "
                    "%(rejected)s (written to %(rejects)s)", **counts)
    elif update:
        summary = _("read %(read)s: imported %(imported)s, already imported %(duplicates)s, rejected "
                    "%(rejected)s, corrected %(corrected)s", **counts)
    else:
        summary = _("read %(read)s: imported %(imported)s, already imported %(duplicates)s, rejected "
                    "%(rejected)s", **counts)
    echo(summary)


@cases_cli.command("dossier")
@click.argument("case_id", type=int)
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The PDF (or, with --with-files, the ZIP) to write.")
@click.option("--with-files", is_flag=True, help="A ZIP of the PDF and the evidence files named by hash.")
@click.option("--as", "username", help="Produce it as this user (default: the command line, as an auditor).")
def cases_dossier(case_id, output, with_files, username):
    """Write the case's dossier: a PDF/A-3 with its audit proofs attached; audited."""
    import hashlib

    from views.dossier import evidence_store, render_pdf
    from workflow import dossier
    actor = _active_actor(username) if username else _AUDITOR
    try:
        with current_app.test_request_context(), \
                dossier.produced(_database(), actor, case_id, fmt="pdf", with_files=with_files) as document:
            data = render_pdf(document)
            bundle = dossier.bundle_file(data, document, evidence_store()) if with_files else None
            seq = document.production_seq
    except WorkflowError as error:
        raise Refused(sentence(error)) from None
    digest = hashlib.sha256(data).hexdigest()
    bundle_digest = None
    if bundle is None:
        Path(output).write_bytes(data)
    else:
        with bundle:
            bundle_digest, _size = dossier.file_digest(bundle)
            dossier.copy_to(bundle, output)
    _run(dossier.record_seal, actor, case_id, seq, "pdf", digest, len(data), bundle_digest)
    echo(f"wrote {output} (PDF sha256 {digest}" + (f", ZIP sha256 {bundle_digest})" if bundle_digest else ")"))


def _notification_round(swept_on: date | None) -> tuple[date, outbox.Report | None]:
    """Tell of today's overdue work unless this process did today, then send the emails due."""
    config = current_app.config
    today = clock.today()
    if swept_on != today:
        told = _run(notifications.sweep, today, config["STAGE_TARGET_DAYS"])
        echo(_n("overdue on %(day)s: %(num)s notification", "overdue on %(day)s: %(num)s notifications",
                      told, day=today.isoformat()))
    if not config["MAIL_SERVER"]:
        return today, None

    def link(notification_id: int) -> str:
        with current_app.test_request_context(base_url=config["PUBLIC_URL"]):
            return url_for("account.notifications.follow", notification_id=notification_id,
                           _external=True)
    from views.notifications import email_words  # each email in its recipient's language
    report = outbox.send_due(_database().transaction, config, link, say=email_words)
    if report.sent or report.failed or report.skipped:
        with _database().sessions() as session:
            waiting = outbox.waiting(session)
        echo(f"email: {report.sent} sent, {report.failed} failed, {report.skipped} not "
                   f"sendable; {waiting} waiting" + "".join(f"; {e}" for e in report.errors[:3]),
                   err=bool(report.failed))
    return today, report


@notifications_cli.command("send")
@click.option("--loop", is_flag=True, help="Go on until stopped (Ctrl-C, SIGTERM): the worker.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds between the worker's rounds.")
def notifications_send(loop: bool, interval: float):
    """Tell of today's overdue tasks, milestones and stages (once a day each), then send the
    emails due (when MAIL_SERVER is set); with --loop, keep doing so. A failed email waits for
    its next try; once, this exits 1 if any failed."""
    if not current_app.config["MAIL_SERVER"]:
        echo(_("MAIL_SERVER is not set: notifications stay in the app, no email is sent"))
    if not loop:
        _today, report = _notification_round(None)
        sys.exit(1 if report is not None and report.failed else 0)
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_args: stop.set())
    swept_on = None
    while not stop.is_set():
        try:
            swept_on, _report = _notification_round(swept_on)
        except Exception as error:  # a worker outlives what a round meets (the database away …)
            echo(_("round failed, trying again: %(error)s", error=f"{type(error).__name__}: {error}"), err=True)
        stop.wait(interval)
    echo("stopped")


def register_commands(app: Flask) -> None:
    for group in (db_cli, users_cli, audit_cli, evidence_cli, demo_cli, incidents_cli, cases_cli,
                  registers_cli, notifications_cli):
        app.cli.add_command(group)
