"""WTForms forms of corrections, links between cases, the team's people and why no sample exists."""
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models.evidence import INFORMATION_GRADES, KINDS, SOURCE_GRADES
from views.case_forms import VersionedForm, choices
from views.forms import CheckboxesField
from vocabulary import FACTORS, LINK_KINDS, STRATEGIES


def _reason() -> TextAreaField:
    return TextAreaField("Reason for the correction", validators=[DataRequired(), Length(max=5000)])


class RecordForm(VersionedForm):
    """A form that shares its page with others whose fields have the same names (reason,
    description, due date): its fields' ids start with ID_PREFIX, as ids must be unique for
    each label to name its own field."""

    ID_PREFIX = "record"

    class Meta:
        def bind_field(self, form, unbound_field, options):
            return unbound_field.bind(form=form, id=f"{form.ID_PREFIX}-{options['name']}",
                                      **options)


def _graded(grades: dict) -> list[SelectChoice]:
    return [SelectChoice(code, f"{code} — {meaning}") for code, meaning in grades.items()]


class CorrectEvidenceForm(RecordForm):
    ID_PREFIX = "correct"
    overwrites = True

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20_000)])
    kind = SelectField("Kind", choices=choices(KINDS))
    source_grade = SelectField("Reliability of the source", choices=_graded(SOURCE_GRADES))
    information_grade = SelectField("Credibility of the information",
                                    choices=_graded(INFORMATION_GRADES))
    reason = _reason()


class CorrectResponseForm(RecordForm):
    ID_PREFIX = "correct"
    overwrites = True

    actor = StringField("Who acts (state, organisation, court)",
                        validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("What is done", validators=[DataRequired(), Length(max=20_000)])
    legal_basis = StringField("Legal basis", validators=[Optional(), Length(max=300)])
    strategies = CheckboxesField("Strategies", choices=choices(STRATEGIES))
    actors = TextAreaField("Actors from the register, one a line",
                           validators=[Optional(), Length(max=20_000)])
    instruments = TextAreaField("Instruments relied on, one a line",
                                validators=[Optional(), Length(max=20_000)])
    forum = StringField("Forum", validators=[Optional(), Length(max=300)])
    factors = CheckboxesField("Restraint factors it is meant to reinforce", choices=choices(FACTORS))
    reason = _reason()


class RescheduleForm(RecordForm):
    """A new due date for a milestone, with the reason."""

    ID_PREFIX = "reschedule"
    overwrites = True

    due_on = DateField("New due date", validators=[DataRequired()])
    reason = StringField("Reason", validators=[DataRequired(), Length(max=5000)])


class RescheduleTaskForm(RescheduleForm):
    task_id = SelectField("Task", coerce=int, choices=[])


#: How the form names each kind of link, read as "this case is …".
LINK_WORDS = {"related": "related to it", "duplicate": "a duplicate of it"}


class LinkCaseForm(RecordForm):
    ID_PREFIX = "link"

    other_reference = StringField("Case reference", validators=[DataRequired(), Length(max=16)],
                                  render_kw={"placeholder": "CW-2017-0001"})
    kind = SelectField("This case is", choices=[SelectChoice(kind, LINK_WORDS[kind])
                                                for kind in LINK_KINDS])
    note = StringField("Note", validators=[Optional(), Length(max=5000)])


class NoSampleForm(RecordForm):
    ID_PREFIX = "no-sample"

    reason = TextAreaField("Why no sample exists", validators=[DataRequired(), Length(max=5000)])
