"""WTForms forms of corrections, links between cases, the team's people and why no sample exists."""
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models.evidence import INFORMATION_GRADES, KINDS, SOURCE_GRADES
from flask_babel import lazy_gettext as _l

from views.case_forms import VersionedForm
from views.evidence_forms import choices, graded
from views.forms import CheckboxesField
from workflow.words import _
from vocabulary import FACTORS, LINK_KINDS, STRATEGIES


def _reason() -> TextAreaField:
    return TextAreaField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=5000)])


class RecordForm(VersionedForm):
    """A form that shares its page with others whose fields have the same names (reason,
    description, due date): its fields' ids start with ID_PREFIX, as ids must be unique for
    each label to name its own field."""

    ID_PREFIX = "record"

    class Meta:
        def bind_field(self, form, unbound_field, options):
            return unbound_field.bind(form=form, id=f"{form.ID_PREFIX}-{options['name']}",
                                      **options)


class CorrectEvidenceForm(RecordForm):
    ID_PREFIX = "correct"
    overwrites = True

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)])
    kind = SelectField(_l("Kind"), choices=choices(KINDS))
    source_grade = SelectField(_l("Reliability of the source"), choices=graded(SOURCE_GRADES))
    information_grade = SelectField(_l("Credibility of the information"),
                                    choices=graded(INFORMATION_GRADES))
    reason = _reason()


class CorrectResponseForm(RecordForm):
    ID_PREFIX = "correct"
    overwrites = True

    actor = StringField(_l("Who acts (state, organisation, court)"),
                        validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("What is done"), validators=[DataRequired(), Length(max=20_000)])
    legal_basis = StringField(_l("Legal basis"), validators=[Optional(), Length(max=300)])
    strategies = CheckboxesField(_l("Strategies"), choices=choices(STRATEGIES))
    actors = TextAreaField(_l("Actors from the register, one a line"),
                           validators=[Optional(), Length(max=20_000)])
    instruments = TextAreaField(_l("Instruments relied on, one a line"),
                                validators=[Optional(), Length(max=20_000)])
    forum = StringField(_l("Forum"), validators=[Optional(), Length(max=300)])
    factors = CheckboxesField(_l("Restraint factors it is meant to reinforce"), choices=choices(FACTORS))
    reason = _reason()


class RescheduleForm(RecordForm):
    """A new due date for a milestone, with the reason."""

    ID_PREFIX = "reschedule"
    overwrites = True

    due_on = DateField(_l("New due date"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class RescheduleTaskForm(RescheduleForm):
    task_id = SelectField(_l("Task"), coerce=int, choices=[])


#: How the form names each kind of link, read as "this case is …".
LINK_WORDS = {"related": _("related to it"), "duplicate": _("a duplicate of it")}


class LinkCaseForm(RecordForm):
    ID_PREFIX = "link"

    other_reference = StringField(_l("Case reference"), validators=[DataRequired(), Length(max=16)],
                                  render_kw={"placeholder": "CW-2017-0001"})
    kind = SelectField(_l("This case is"), choices=[SelectChoice(kind, LINK_WORDS[kind])
                                                for kind in LINK_KINDS])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=5000)])


class NoSampleForm(RecordForm):
    ID_PREFIX = "no-sample"

    reason = TextAreaField(_l("Why no sample exists"), validators=[DataRequired(), Length(max=5000)])
