"""Evidence pages: add (with upload), the item with its custody timeline, download, findings."""
from __future__ import annotations

from contextlib import nullcontext

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from models.evidence import INFORMATION_GRADES, SOURCE_GRADES
from models.finding import CONCLUSIONS
from views import db
from views.access import current_actor
from views.cases import load_case_for
from views.commands import Page, run
from views.record_pages import completes, evidence_context
from views.evidence_forms import (
    CustodyForm,
    EvidenceForm,
    FindingForm,
    LabAnalysisForm,
    WithdrawEvidenceForm,
)
from workflow import audit_log, evidence, permissions, queries, words
from workflow.clock import format_utc, utcnow
from workflow.custody import chain_breaks, current_holder
from workflow.evidence_store import EvidenceStore, clean_declared_hash, clean_filename
from views.language import translated, when
from workflow.errors import Invalid
from workflow.words import Text, inline

blueprint = Blueprint("evidence", __name__, url_prefix="/cases/<int:case_id>")


@blueprint.app_context_processor
def grade_meanings():
    return {"SOURCE_GRADES": SOURCE_GRADES, "INFORMATION_GRADES": INFORMATION_GRADES}


def store() -> EvidenceStore:
    return EvidenceStore(current_app.config["EVIDENCE_DIR"])


@blueprint.route("/evidence/new", methods=["GET", "POST"])
def new(case_id: int):
    """Add an evidence item, with a file stored by its SHA-256."""
    case = load_case_for(case_id, permissions.RECORD_EVIDENCE)
    form = EvidenceForm(version=case.version)

    def page(refusal=None):
        return render_template("evidence/new.html", case=case, form=form, refusal=refusal)

    def store_file():
        """The upload received and hashed before the transaction; the command keeps it."""
        upload = form.file.data
        declared = clean_declared_hash(form.declared_sha256.data)
        if upload and upload.filename:
            return store().receive(upload.stream, declared)
        if declared:  # a hash of no file would be dropped unchecked
            raise Invalid(words._("declared SHA-256: attach the file it describes"), "declared_sha256")
        return nullcontext()

    def add(write, stored):
        upload = form.file.data
        item = evidence.add_evidence(
                    write, current_actor(), case_id, expected_version=form.expected_version(),
                    kind=form.kind.data, title=form.title.data, description=form.description.data,
                    source=form.source.data, collected_at=form.collected_at.data,
                    collected_by=form.collected_by.data, source_grade=form.source_grade.data,
                    information_grade=form.information_grade.data, stored=stored,
                    original_filename=clean_filename(upload.filename) if stored else "",
                    claimed_type=upload.mimetype if stored else "")
        return item.id
    if request.method == "GET":
        return page()
    outcome = run(form, add, page, prepare=store_file)
    if outcome.refused:
        return outcome.page
    flash(_("Evidence added."), "success")
    return redirect(url_for("evidence.detail", case_id=case_id, evidence_id=outcome.value))


@blueprint.route("/evidence/<int:evidence_id>")
def detail(case_id: int, evidence_id: int):
    """An evidence item: its file, custody timeline (breaks flagged), laboratory results."""
    return _detail_page(case_id, evidence_id)


def _detail_page(case_id: int, evidence_id: int, forms: dict | None = None, refusal=None):
    """An item's page with its forms (a posted one given in `forms`), a refusal at its top."""
    case = load_case_for(case_id)
    item = evidence.evidence_of(db.session(), case_id, evidence_id)
    forms = forms or {}
    holder = current_holder(item.custody)
    return render_template(
        "evidence/detail.html", case=case, item=item, breaks=chain_breaks(item.custody),
        holder=holder,
        may_record=permissions.can(current_user, permissions.RECORD_EVIDENCE, case),
        custody_form=forms.get("custody") or _next_custody(item, holder, case.version),
        lab_form=forms.get("lab") or LabAnalysisForm(formdata=None, version=case.version),
        withdraw_form=forms.get("withdraw") or WithdrawEvidenceForm(formdata=None, version=case.version),
        **evidence_context(db.session(), case, item, forms), refusal=refusal)


def _next_custody(item, holder: str, version: int) -> CustodyForm:
    """The custody form, ready for the likeliest next event."""
    if not item.custody and (item.collected_at or item.collected_by):
        # The chain starts with the collection the item was added with: offered, not typed again.
        return CustodyForm(formdata=None, version=version, action="collected",
                           at=item.collected_at, to_holder=item.collected_by)
    # The next step most often starts from whoever holds the item now.
    return CustodyForm(formdata=None, version=version, from_holder=holder)


def detail_page(case_id: int, evidence_id: int, forms: dict | None = None) -> Page:
    """The item's page as the page of its forms."""
    return lambda refusal=None: _detail_page(case_id, evidence_id, forms, refusal)


def _record(case_id: int, evidence_id: int, name: str, form, command, done):
    """Validate a form of the evidence page, run its command, or show the page with its errors;
    `done(form)` confirms what was recorded."""
    load_case_for(case_id, permissions.RECORD_EVIDENCE)
    evidence.evidence_of(db.session(), case_id, evidence_id)
    outcome = run(form, lambda write: command(write, form),
                  detail_page(case_id, evidence_id, {name: form}))
    if outcome.refused:
        return outcome.page
    flash(done(form), "success")
    return redirect(url_for("evidence.detail", case_id=case_id, evidence_id=evidence_id))


def _custody_done(form: CustodyForm) -> str:
    """The confirmation of a custody event, as the timeline will read it."""
    values = {"action": translated(inline(form.action.data)), "at": when(form.at.data),
              "giver": form.from_holder.data, "taker": form.to_holder.data}
    if form.from_holder.data and form.to_holder.data:
        return _("Custody event recorded: %(action)s %(at)s from %(giver)s to %(taker)s.", **values)
    if form.from_holder.data:
        return _("Custody event recorded: %(action)s %(at)s from %(giver)s.", **values)
    if form.to_holder.data:
        return _("Custody event recorded: %(action)s %(at)s to %(taker)s.", **values)
    return _("Custody event recorded: %(action)s %(at)s.", **values)


@blueprint.route("/evidence/<int:evidence_id>/custody", methods=["POST"])
def custody(case_id: int, evidence_id: int):
    """Record a custody event."""
    return _record(case_id, evidence_id, "custody", CustodyForm(), lambda write, form: (
        evidence.add_custody_event(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            evidence_id=evidence_id, action=form.action.data, at=form.at.data,
            from_holder=form.from_holder.data, to_holder=form.to_holder.data,
            place=form.place.data, seal_id=form.seal_id.data, note=form.note.data)),
        _custody_done)


@blueprint.route("/evidence/<int:evidence_id>/analyses", methods=["POST"])
def analyses(case_id: int, evidence_id: int):
    """Record a laboratory analysis of a sample."""
    return _record(case_id, evidence_id, "lab", LabAnalysisForm(), lambda write, form: (
        evidence.add_lab_analysis(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            evidence_id=evidence_id, laboratory=form.laboratory.data,
            designated=form.designated.data, method=form.method.data, result=form.result.data,
            report_ref=form.report_ref.data, analysed_on=form.analysed_on.data)),
        lambda form: _("Analysis by %(laboratory)s recorded.", laboratory=form.laboratory.data))


@blueprint.route("/evidence/<int:evidence_id>/withdraw", methods=["POST"])
def withdraw(case_id: int, evidence_id: int):
    """Withdraw an item from use, with a reason; nothing is deleted."""
    return _record(case_id, evidence_id, "withdraw", WithdrawEvidenceForm(), lambda write, form: (
        evidence.withdraw_evidence(
            write, current_actor(), case_id, expected_version=form.expected_version(),
            evidence_id=evidence_id, reason=form.reason.data)),
        lambda form: _("Evidence withdrawn: it no longer counts for any gate."))


@blueprint.route("/evidence/<int:evidence_id>/download")
def download(case_id: int, evidence_id: int):
    """The item's file, as an attachment; every download is an audit event."""
    load_case_for(case_id)
    with db.transaction() as write:
        item = evidence.record_download(write, current_actor(), case_id, evidence_id=evidence_id)
        sha256, name = item.sha256, item.original_filename or f"evidence-{item.id}"
    path = store().path(sha256)
    if not path.exists():
        abort(404, description=_("The stored file is missing; run the fixity check."))
    response = send_file(path, as_attachment=True, download_name=name,
                         mimetype="application/octet-stream", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Content-SHA256"] = sha256
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.route("/findings/new", methods=["GET", "POST"])
def new_finding(case_id: int):
    """Record a use determination or an attribution, citing evidence items."""
    case = load_case_for(case_id, permissions.RECORD_FINDING)
    kind = request.args.get("kind", "use_determination")
    # A conclusion the kind may reach is chosen to begin with ("confirmed" is no attribution's).
    form = FindingForm(version=case.version, kind=kind,
                       conclusion=CONCLUSIONS.get(kind, ("",))[0])
    items = queries.evidence_items(db.session(), case_id)
    form.cited.choices = [(item.id, Text("#%(number)s %(title)s (%(kind)s)", number=item.id,
                                         title=item.title, kind=inline(item.kind)))
                          for item in items if item.status == "active"]

    def page(refusal=None):
        return render_template("evidence/finding_form.html", case=case, form=form, refusal=refusal,
                               completes=completes(db.session(), case,
                                                   ("use_determination", "attribution")))
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: evidence.record_finding(
                    write, current_actor(), case_id, expected_version=form.expected_version(),
                    kind=form.kind.data,
                    conclusion=form.conclusion.data, rationale=form.rationale.data,
                    cited_ids=form.cited.data or [], agent=form.agent.data,
                    responsible_party=form.responsible_party.data, party_type=form.party_type.data,
                    standard_of_proof=form.standard_of_proof.data, body=form.body.data or ""), page)
    if outcome.refused:
        return outcome.page
    flash(_("Finding recorded."), "success")
    return redirect(url_for("cases.detail", case_id=case_id))


@blueprint.route("/evidence/<int:evidence_id>/custody-report")
def custody_report(case_id: int, evidence_id: int):
    """An item's custody rebuilt from the audit log alone, not from the custody table; printable."""
    case = load_case_for(case_id)
    item = evidence.evidence_of(db.session(), case_id, evidence_id)
    return render_template("evidence/custody_report.html", case=case, item=item,
                           history=audit_log.custody_history(db.session(), case_id, evidence_id),
                           event_names=audit_log.EVENT_NAMES,
                           now=format_utc(utcnow())[:16].replace("T", " "))
