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
from views.case_forms import VersionedForm, choices
from views.forms import CheckboxesField

MOMENT_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _graded(grades: dict) -> list[SelectChoice]:
    return [SelectChoice(code, f"{code} — {meaning}") for code, meaning in grades.items()]


class EvidenceForm(VersionedForm):
    kind = SelectField("Kind", choices=choices(KINDS))
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20_000)])
    source = StringField("Source", validators=[Optional(), Length(max=300)])
    collected_at = DateTimeLocalField("Collected at (UTC)", format=MOMENT_FORMAT, validators=[Optional()])
    collected_by = StringField("Collected by", validators=[Optional(), Length(max=200)])
    source_grade = SelectField("Reliability of the source", choices=_graded(SOURCE_GRADES), default="F")
    information_grade = SelectField("Credibility of the information",
                                    choices=_graded(INFORMATION_GRADES), default="6")
    file = FileField("File (optional)")
    declared_sha256 = StringField("SHA-256 declared by the collector (optional)",
                                  validators=[Optional(), Length(max=64)])


class CustodyForm(VersionedForm):
    action = SelectField("Action", choices=choices(CUSTODY_ACTIONS))
    at = DateTimeLocalField("When (UTC)", format=MOMENT_FORMAT, validators=[DataRequired()])
    from_holder = StringField("From", validators=[Optional(), Length(max=200)])
    to_holder = StringField("To", validators=[Optional(), Length(max=200)])
    place = StringField("Place", validators=[Optional(), Length(max=200)])
    seal_id = StringField("Seal id", validators=[Optional(), Length(max=100)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])


class LabAnalysisForm(VersionedForm):
    laboratory = StringField("Laboratory", validators=[DataRequired(), Length(max=200)])
    designated = BooleanField("OPCW-designated laboratory")
    method = StringField("Method", validators=[Optional(), Length(max=300)])
    result = TextAreaField("Result", validators=[Optional(), Length(max=20_000)])
    report_ref = StringField("Report reference", validators=[Optional(), Length(max=200)])
    analysed_on = DateField("Analysed on", validators=[Optional()])


class WithdrawEvidenceForm(VersionedForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=5000)])


class FindingForm(VersionedForm):
    kind = SelectField("Finding", choices=choices(CONCLUSIONS))
    conclusion = SelectField("Conclusion", choices=choices(
        [c for cs in CONCLUSIONS.values() for c in cs]))
    agent = SelectField("Agent (use determination)", choices=[SelectChoice("", "—"), *choices(AGENTS)],
                        validators=[Optional()])
    responsible_party = StringField("Responsible party (attribution)",
                                    validators=[Optional(), Length(max=300)])
    party_type = SelectField("Type of party", choices=[SelectChoice("", "—"), *choices(PARTY_TYPES)],
                             validators=[Optional()])
    standard_of_proof = SelectField("Standard of proof", validators=[Optional()], choices=[
        SelectChoice("", "—"), *choices(STANDARDS_OF_PROOF)])
    rationale = TextAreaField("Rationale", validators=[DataRequired(), Length(max=20_000)])
    cited = CheckboxesField("Evidence cited", coerce=int, choices=[])
