"""WTForms forms of the accountability menu, deterrence messages and the evaluation."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models.evaluation import FACTORS, PRESSURE_RATINGS, RATINGS, RECOMMENDATIONS, REPEAT_USE
from views.case_forms import VersionedForm, choices
from views.forms import CheckboxesField
from workflow.menu import LEVELS, STRATEGIES, TOOLS


class ResponseForm(VersionedForm):
    level = SelectField(_l("Level"), choices=choices(LEVELS))
    tool = SelectField(_l("Tool"), choices=choices(TOOLS))
    catalog_key = HiddenField()
    actor = StringField(_l("Who acts (state, organisation, court)"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("What is done"), validators=[DataRequired(), Length(max=20_000)])
    target = StringField(_l("Aimed at"), validators=[Optional(), Length(max=300)])
    legally_binding = BooleanField(_l("Legally binding"))
    legal_basis = StringField(_l("Legal basis"), validators=[Optional(), Length(max=300)])
    strategies = CheckboxesField(_l("Strategies"), choices=choices(STRATEGIES))
    actors = TextAreaField(_l("Actors from the register, one a line (a coalition: every state "
                           "or organisation)"), validators=[Optional(), Length(max=20_000)])
    instruments = TextAreaField(_l("Instruments relied on, one a line (e.g. UN Security Council "
                                "resolution 2118 (2013))"), validators=[Optional(), Length(max=20_000)])
    forum = StringField(_l("Forum (e.g. UN Security Council)"), validators=[Optional(), Length(max=300)])
    factors = CheckboxesField(_l("Restraint factors it is meant to reinforce"), choices=choices(FACTORS))


class StatusForm(VersionedForm):
    status = SelectField(_l("New status"), choices=[])
    #: Checked by the service: a block gets its own message (say why it was blocked).
    reason = TextAreaField(_l("Reason (if blocked: why, e.g. a veto and the grounds given)"),
                           validators=[Optional(), Length(max=5000)])
    decided_on = DateField(_l("Decided on"), validators=[Optional()])
    legally_binding = BooleanField(_l("Legally binding"))
    blocked_by = StringField(_l("If blocked: by whom (a state or organisation)"),
                             validators=[Optional(), Length(max=300)])
    blocked_in = StringField(_l("If blocked: in which forum"), validators=[Optional(), Length(max=300)])


class MilestoneForm(VersionedForm):
    description = StringField(_l("Milestone"), validators=[DataRequired(), Length(max=5000)])
    due_on = DateField(_l("Due on"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=5000)])


class MilestoneUpdateForm(VersionedForm):
    done_on = DateField(_l("Done on"), validators=[Optional()])
    #: Progress; a milestone past its date is rescheduled (a correction with a reason), not excused.
    note = StringField(_l("Note on progress"), validators=[Optional(), Length(max=5000)])


class MessageForm(VersionedForm):
    said_on = DateField(_l("Said on"), validators=[DataRequired()])
    speaker = StringField(_l("Speaker"), validators=[DataRequired(), Length(max=200)])
    audience = StringField(_l("Audience"), validators=[DataRequired(), Length(max=300)])
    channel = StringField(_l("Channel"), validators=[Optional(), Length(max=200)])
    summary = TextAreaField(_l("What was said"), validators=[DataRequired(), Length(max=20_000)])


def _rating(label: str) -> SelectField:
    return SelectField(label, choices=choices(RATINGS), default="unchanged")


def _pressure(label: str) -> SelectField:
    return SelectField(label, choices=choices(PRESSURE_RATINGS), default="unchanged")


def _why(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired(), Length(max=10_000)])


class EvaluationForm(VersionedForm):
    taboo = _rating(_l("Taboo against chemical weapons"))
    taboo_rationale = _why(_l("Why (taboo)"))
    norms = _rating(_l("Norms and institutions"))
    norms_rationale = _why(_l("Why (norms)"))
    lack_of_benefit = _rating(_l("Lack of military benefit"))
    lack_of_benefit_rationale = _why(_l("Why (lack of benefit)"))
    deterrence = _rating(_l("Deterrence"))
    deterrence_rationale = _why(_l("Why (deterrence)"))
    repeated_violation = _pressure(_l("Repeated violation"))
    repeated_violation_rationale = _why(_l("Why (repeated violation)"))
    perceived_utility = _pressure(_l("Perceived utility"))
    perceived_utility_rationale = _why(_l("Why (perceived utility)"))
    ease_of_access = _pressure(_l("Ease of access"))
    ease_of_access_rationale = _why(_l("Why (ease of access)"))
    diminished_attention = _pressure(_l("Diminished attention"))
    diminished_attention_rationale = _why(_l("Why (diminished attention)"))
    repeat_use = SelectField(_l("Did the perpetrator use chemical weapons again?"), choices=choices(REPEAT_USE),
                             default="unknown")
    lessons = TextAreaField(_l("Lessons"), validators=[Optional(), Length(max=20_000)])
    recommendation = SelectField(_l("Recommendation"), choices=choices(RECOMMENDATIONS))
    outcome = StringField(_l("Outcome, if closing (e.g. restraint restored)"),
                          validators=[Optional(), Length(max=64)])
