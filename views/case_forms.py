"""WTForms forms of the case, team and review pages."""
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from flask_babel import lazy_gettext as _l

from models.case import AGENTS, PRECISIONS
from views.forms import CheckboxesField, Form
from vocabulary import STRATEGIES, TARGETED
from views.commands import beside, sentence
from workflow.cases import EDITABLE, MAX_COUNT, clean_field
from workflow.errors import Invalid
from workflow.words import inline


def finite(form, field) -> None:
    """Refuse NaN and infinities before any range check compares them."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_l("not a number"))


def choices(codes) -> list[SelectChoice]:
    """Codes as options, each named in the reader's language: lack_of_benefit → "lack of benefit"."""
    return [SelectChoice(code, inline(code)) for code in codes]


class VersionedForm(Form):
    """A form that carries the case version it was rendered with (optimistic locking)."""

    version = HiddenField(validators=[InputRequired()])
    #: Whether its fields replace what the case holds. Such a form refused because the case
    #: changed is not offered again as typed: sent again, it would undo the other change unseen.
    overwrites = False

    def expected_version(self) -> int | None:
        value = str(self.version.data)
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1


class CaseForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    occurred_on = DateField(_l("Date of the incident"), validators=[Optional()])
    occurred_precision = SelectField(_l("The date is exact to the"), choices=choices(PRECISIONS),
                                     default="day")
    country = StringField(_l("Country"), validators=[Optional(), Length(max=100)],
                          description=_l("Its name or its ISO 3166 code, e.g. Syria or SY"))
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    latitude = DecimalField(_l("Latitude"), places=6, validators=[
        Optional(), finite, NumberRange(-90, 90, message=_l("between -90 and 90"))])
    longitude = DecimalField(_l("Longitude"), places=6, validators=[
        Optional(), finite, NumberRange(-180, 180, message=_l("between -180 and 180"))])
    suspected_agent = SelectField(_l("Suspected agent"), choices=choices(AGENTS), default="unknown")
    delivery_means = StringField(_l("Delivery means"), validators=[Optional(), Length(max=200)])
    deaths = IntegerField(_l("Deaths"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)])
    injured = IntegerField(_l("Injured"), validators=[Optional(), NumberRange(min=0, max=MAX_COUNT)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=20_000)])
    targeted = SelectField(_l("Who was targeted"), choices=choices(TARGETED), default="unknown")
    strategies = CheckboxesField(_l("Strategies"), choices=choices(STRATEGIES))
    suspects = TextAreaField(_l("Suspected perpetrators"), validators=[Optional(), Length(max=5000)],
                             description=_l("As the party register knows them, one a line, e.g. "
                                            "Syrian government forces"))

    def case_fields(self) -> dict:
        return {**{name: getattr(self, name).data for name in EDITABLE},
                "suspects": self.suspects.data or ""}

    def validate(self, extra_validators=None) -> bool:
        """The form's checks, then the case's own (workflow.cases.clean_field) on every field
        they passed: each mistake is named at the first sending, not one a round."""
        valid = super().validate(extra_validators)
        for name in EDITABLE:
            field = getattr(self, name)
            if field.errors:
                continue
            try:
                clean_field(name, field.data)
            except Invalid as refused:
                field.errors = [*field.errors, beside(sentence(refused), name)]
                valid = False
        return valid


class OpenCaseForm(CaseForm):
    #: Asked only when cases of the same incident may exist already (listed above it).
    not_duplicate = BooleanField(_l("None of the cases listed is this incident: open a new case"))


class CaseEditForm(CaseForm, VersionedForm):
    overwrites = True


class GateRequestForm(VersionedForm):
    target = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note to the supervisor"), validators=[Optional(), Length(max=5000)])


class DecisionForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=5000)])
    #: Closing although the evaluation records repeat use or a weakened factor.
    confirm = BooleanField(_l("I confirm that the case closes all the same"))
    #: Where to go afterwards: "reviews" (the review queue) or the case page.
    back = HiddenField()


class WithdrawForm(VersionedForm):
    pass


class ReopenForm(VersionedForm):
    target = SelectField(_l("Reopen to"), choices=[])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=5000)])


class TeamMemberForm(VersionedForm):
    """A person and the case role they play, from the valid pairs only; it starts empty."""

    member = SelectField(_l("Person and case role"), choices=[], validators=[DataRequired(
        message=_l("choose a person and their role"))])
    #: Where to go afterwards: "reviews", "case", or the team page.
    back = HiddenField()

    #: Whether more people could be offered than the choices hold (see views.cases.offer_people).
    more_people = False

    def user_id(self) -> int | None:
        """The person chosen, if the choice names one."""
        return _whole_number((self.member.data or "").partition(":")[0])

    def case_role(self) -> str:
        return self.member.data.split(":", 1)[1]


class RemoveMemberForm(VersionedForm):
    pass


def _whole_number(value: str | None) -> int | None:
    """A hidden id field's value: a whole number, or None when empty or not one."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


class CommentForm(Form):
    """A note on a case, or on one of its evidence items or responses (@name mentions someone)."""

    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=10_000)],
                         description=_l("Write @username to tell someone who may see the case."))
    #: What the note is on: case, evidence or response, and which one.
    subject = HiddenField(default="case")
    subject_id = HiddenField()
    #: The earlier note (one's own) that this one corrects.
    corrects = HiddenField()

    def subject_number(self) -> int | None:
        return _whole_number(self.subject_id.data)

    def corrects_number(self) -> int | None:
        return _whole_number(self.corrects.data)
