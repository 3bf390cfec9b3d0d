"""WTForms forms of the case, team and review pages."""
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from models.case import AGENTS, CASE_ROLES, PRECISIONS


def choices(values) -> list[SelectChoice]:
    return [SelectChoice(value, value.replace("_", " ")) for value in values]


class VersionedForm(FlaskForm):
    """A form that carries the case version it was rendered with (optimistic locking)."""

    version = HiddenField(validators=[InputRequired()])

    def expected_version(self) -> int | None:
        return int(self.version.data) if str(self.version.data).isdigit() else -1


class CaseForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    occurred_on = DateField("Date of the incident", validators=[Optional()])
    occurred_precision = SelectField("The date is exact to the", choices=choices(PRECISIONS),
                                     default="day")
    country = StringField("Country", validators=[Optional(), Length(max=100)])
    place = StringField("Place", validators=[Optional(), Length(max=200)])
    latitude = DecimalField("Latitude", places=6, validators=[
        Optional(), NumberRange(-90, 90, message="between -90 and 90")])
    longitude = DecimalField("Longitude", places=6, validators=[
        Optional(), NumberRange(-180, 180, message="between -180 and 180")])
    suspected_agent = SelectField("Suspected agent", choices=choices(AGENTS), default="unknown")
    delivery_means = StringField("Delivery means", validators=[Optional(), Length(max=200)])
    deaths = IntegerField("Deaths", validators=[Optional(), NumberRange(min=0)])
    injured = IntegerField("Injured", validators=[Optional(), NumberRange(min=0)])
    summary = TextAreaField("Summary", validators=[Optional(), Length(max=20_000)])

    def case_fields(self) -> dict:
        names = ("title", "occurred_on", "occurred_precision", "country", "place", "latitude",
                 "longitude", "suspected_agent", "delivery_means", "deaths", "injured", "summary")
        return {name: getattr(self, name).data for name in names}


class CaseEditForm(CaseForm, VersionedForm):
    pass


class GateRequestForm(VersionedForm):
    target = HiddenField(validators=[DataRequired()])
    note = TextAreaField("Note to the supervisor", validators=[Optional(), Length(max=5000)])


class DecisionForm(VersionedForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=5000)])


class WithdrawForm(VersionedForm):
    pass


class ReopenForm(VersionedForm):
    target = SelectField("Reopen to", choices=[])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=5000)])


class TeamMemberForm(VersionedForm):
    user_id = SelectField("Person", coerce=int, choices=[])
    case_role = SelectField("Case role", choices=choices(CASE_ROLES))


class RemoveMemberForm(VersionedForm):
    pass
