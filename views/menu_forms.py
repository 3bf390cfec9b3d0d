"""WTForms forms of the accountability menu, deterrence messages and the evaluation."""
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models.evaluation import FACTORS, PRESSURE_RATINGS, RATINGS, RECOMMENDATIONS, REPEAT_USE
from views.case_forms import VersionedForm, choices
from views.forms import CheckboxesField
from workflow.menu import LEVELS, STRATEGIES, TOOLS


class ResponseForm(VersionedForm):
    level = SelectField("Level", choices=choices(LEVELS))
    tool = SelectField("Tool", choices=choices(TOOLS))
    catalog_key = HiddenField()
    actor = StringField("Who acts (state, organisation, court)", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("What is done", validators=[DataRequired(), Length(max=20_000)])
    target = StringField("Aimed at", validators=[Optional(), Length(max=300)])
    legally_binding = BooleanField("Legally binding")
    legal_basis = StringField("Legal basis", validators=[Optional(), Length(max=300)])
    strategies = CheckboxesField("Strategies", choices=choices(STRATEGIES))
    actors = TextAreaField("Actors from the register, one a line (a coalition: every state "
                           "or organisation)", validators=[Optional(), Length(max=20_000)])
    instruments = TextAreaField("Instruments relied on, one a line (e.g. UN Security Council "
                                "resolution 2118 (2013))", validators=[Optional(), Length(max=20_000)])
    forum = StringField("Forum (e.g. UN Security Council)", validators=[Optional(), Length(max=300)])
    factors = CheckboxesField("Restraint factors it is meant to reinforce", choices=choices(FACTORS))


class StatusForm(VersionedForm):
    status = SelectField("New status", choices=[])
    #: Checked by the service: a block gets its own message (say why it was blocked).
    reason = TextAreaField("Reason (if blocked: why, e.g. a veto and the grounds given)",
                           validators=[Optional(), Length(max=5000)])
    decided_on = DateField("Decided on", validators=[Optional()])
    legally_binding = BooleanField("Legally binding")
    blocked_by = StringField("If blocked: by whom (a state or organisation)",
                             validators=[Optional(), Length(max=300)])
    blocked_in = StringField("If blocked: in which forum", validators=[Optional(), Length(max=300)])


class MilestoneForm(VersionedForm):
    description = StringField("Milestone", validators=[DataRequired(), Length(max=5000)])
    due_on = DateField("Due on", validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=5000)])


class MilestoneUpdateForm(VersionedForm):
    done_on = DateField("Done on", validators=[Optional()])
    #: Progress; a milestone past its date is rescheduled (a correction with a reason), not excused.
    note = StringField("Note on progress", validators=[Optional(), Length(max=5000)])


class MessageForm(VersionedForm):
    said_on = DateField("Said on", validators=[DataRequired()])
    speaker = StringField("Speaker", validators=[DataRequired(), Length(max=200)])
    audience = StringField("Audience", validators=[DataRequired(), Length(max=300)])
    channel = StringField("Channel", validators=[Optional(), Length(max=200)])
    summary = TextAreaField("What was said", validators=[DataRequired(), Length(max=20_000)])


def _rating(label: str) -> SelectField:
    return SelectField(label, choices=choices(RATINGS), default="unchanged")


def _pressure(label: str) -> SelectField:
    return SelectField(label, choices=choices(PRESSURE_RATINGS), default="unchanged")


def _why(label: str) -> TextAreaField:
    return TextAreaField(label, validators=[DataRequired(), Length(max=10_000)])


class EvaluationForm(VersionedForm):
    taboo = _rating("Taboo against chemical weapons")
    taboo_rationale = _why("Why (taboo)")
    norms = _rating("Norms and institutions")
    norms_rationale = _why("Why (norms)")
    lack_of_benefit = _rating("Lack of military benefit")
    lack_of_benefit_rationale = _why("Why (lack of benefit)")
    deterrence = _rating("Deterrence")
    deterrence_rationale = _why("Why (deterrence)")
    repeated_violation = _pressure("Repeated violation")
    repeated_violation_rationale = _why("Why (repeated violation)")
    perceived_utility = _pressure("Perceived utility")
    perceived_utility_rationale = _why("Why (perceived utility)")
    ease_of_access = _pressure("Ease of access")
    ease_of_access_rationale = _why("Why (ease of access)")
    diminished_attention = _pressure("Diminished attention")
    diminished_attention_rationale = _why("Why (diminished attention)")
    repeat_use = SelectField("Did the perpetrator use chemical weapons again?", choices=choices(REPEAT_USE),
                             default="unknown")
    lessons = TextAreaField("Lessons", validators=[Optional(), Length(max=20_000)])
    recommendation = SelectField("Recommendation", choices=choices(RECOMMENDATIONS))
    outcome = StringField("Outcome, if closing (e.g. restraint restored)",
                          validators=[Optional(), Length(max=64)])
