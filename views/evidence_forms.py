"""WTForms forms of the evidence and findings pages."""
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from models.case import AGENTS
from models.evidence import CUSTODY_ACTIONS, INFORMATION_GRADES, KINDS, SOURCE_GRADES
from models.finding import CONCLUSIONS, PARTY_TYPES, STANDARDS_OF_PROOF
from flask_babel import lazy_gettext as _l

from views.case_forms import VersionedForm, choices
from views.forms import CheckboxesField
from workflow import words
from workflow.words import inline

MOMENT_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]



def graded(grades: dict) -> list[SelectChoice]:
    """A grading scale's options: "B — usually reliable", the meaning in the reader's language."""
    return [SelectChoice(code, words._("%(grade)s — %(meaning)s", grade=words.Text(code),
                                       meaning=inline(meaning)))
            for code, meaning in grades.items()]


class EvidenceForm(VersionedForm):
    kind = SelectField(_l("Kind"), choices=choices(KINDS))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=300)])
    collected_at = DateTimeLocalField(_l("Collected at (UTC)"), format=MOMENT_FORMAT, validators=[Optional()])
    collected_by = StringField(_l("Collected by"), validators=[Optional(), Length(max=200)])
    source_grade = SelectField(_l("Reliability of the source"), choices=graded(SOURCE_GRADES), default="F")
    information_grade = SelectField(_l("Credibility of the information"),
                                    choices=graded(INFORMATION_GRADES), default="6")
    file = FileField(_l("File (optional)"))
    declared_sha256 = StringField(_l("SHA-256 declared by the collector (optional)"),
                                  validators=[Optional(), Length(max=64)])


class CustodyForm(VersionedForm):
    action = SelectField(_l("Action"), choices=choices(CUSTODY_ACTIONS))
    at = DateTimeLocalField(_l("When (UTC)"), format=MOMENT_FORMAT, validators=[DataRequired()])
    from_holder = StringField(_l("From"), validators=[Optional(), Length(max=200)])
    to_holder = StringField(_l("To"), validators=[Optional(), Length(max=200)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    seal_id = StringField(_l("Seal id"), validators=[Optional(), Length(max=100)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])


class LabAnalysisForm(VersionedForm):
    laboratory = StringField(_l("Laboratory"), validators=[DataRequired(), Length(max=200)])
    designated = BooleanField(_l("OPCW-designated laboratory"))
    method = StringField(_l("Method"), validators=[Optional(), Length(max=300)])
    result = TextAreaField(_l("Result"), validators=[Optional(), Length(max=20_000)])
    report_ref = StringField(_l("Report reference"), validators=[Optional(), Length(max=200)])
    analysed_on = DateField(_l("Analysed on"), validators=[Optional()])


class WithdrawEvidenceForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class FindingForm(VersionedForm):
    kind = SelectField(_l("Finding"), choices=choices(CONCLUSIONS))
    # Grouped by the kind of finding that may reach them.
    conclusion = SelectField(_l("Conclusion"), choices=[
        SelectChoice(code, inline(code), optgroup=words.human(kind))
        for kind, reached in CONCLUSIONS.items() for code in reached])
    agent = SelectField(_l("Agent (use determination)"), choices=[SelectChoice("", "—"), *choices(AGENTS)],
                        validators=[Optional()])
    responsible_party = StringField(_l("Responsible party (attribution)"),
                                    validators=[Optional(), Length(max=300)])
    party_type = SelectField(_l("Type of party"), choices=[SelectChoice("", "—"), *choices(PARTY_TYPES)],
                             validators=[Optional()])
    standard_of_proof = SelectField(_l("Standard of proof"), validators=[Optional()], choices=[
        SelectChoice("", "—"), *choices(STANDARDS_OF_PROOF)])
    body = StringField(_l("Investigating or attributing body"), validators=[Optional(), Length(max=300)],
                       description=_l("As the body register knows it, e.g. OPCW FFM, OPCW IIT, JIM"))
    rationale = TextAreaField(_l("Rationale"), validators=[DataRequired(), Length(max=20_000)])
    cited = CheckboxesField(_l("Evidence cited"), coerce=int, choices=[])
