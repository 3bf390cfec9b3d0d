"""WTForms forms of the sign-in and admin pages."""
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from workflow.accounts import MIN_PASSWORD_LENGTH
from workflow.roles import DESCRIPTIONS, ROLES


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class CheckboxesField(SelectMultipleField):
    """Several choices shown as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = [SelectChoice(role, f"{role} — {DESCRIPTIONS[role]}") for role in ROLES]


class UserRolesForm(FlaskForm):
    roles = CheckboxesField("Roles", choices=ROLE_CHOICES,
                            validators=[DataRequired(message="Choose at least one role.")])


class UserCreateForm(UserRolesForm):
    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=64)])
    full_name = StringField("Full name", validators=[Optional(), Length(max=200)])
    email = EmailField("Email", validators=[Optional(), Email(check_deliverability=False),
                                            Length(max=254)])
    password = PasswordField("Initial password", validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
