"""WTForms forms of the register pages."""
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from views.forms import Form

NO_PARENT = SelectChoice(0, "— none —")


def words(value: str) -> str:
    """A code as words: state_organ → state organ."""
    return value.replace("_", " ")


class EntryForm(Form):
    """A new entry: its name, kind, parent and the other names it is known by."""

    name = StringField("Name", validators=[DataRequired(), Length(max=300)])
    kind = SelectField("Kind", choices=[])
    parent_id = SelectField("Belongs to", coerce=int, choices=[NO_PARENT],
                            description="A unit to its state, an organ to its organisation.")
    other_names = TextAreaField("Other names", validators=[Length(max=10_000)],
                                description="One a line: spellings, abbreviations, names in other languages.")
    note = TextAreaField("Note", validators=[Length(max=5000)])

    def other_names_list(self) -> list[str]:
        return [line.strip() for line in (self.other_names.data or "").splitlines() if line.strip()]


class AliasForm(Form):
    alias = StringField("Another name", validators=[DataRequired(), Length(max=300)])


class AcceptForm(Form):
    """Accept a proposed entry, saying what kind it is and where it belongs."""

    kind = SelectField("Kind", choices=[])
    parent_id = SelectField("Belongs to", coerce=int, choices=[NO_PARENT])


class MergeForm(Form):
    into = SelectField("Merge into", coerce=int, choices=[],
                       description="The entry that keeps the names and the records.")


def with_choices(form, kinds, parents=(), into=()):
    """Fill a form's choices: the register's kinds, the possible parents, the merge targets."""
    if hasattr(form, "kind"):
        form.kind.choices = [SelectChoice(kind, words(kind)) for kind in kinds]
    if hasattr(form, "parent_id"):
        form.parent_id.choices = [NO_PARENT, *(SelectChoice(entry.id, entry.name) for entry in parents)]
    if hasattr(form, "into"):
        form.into.choices = [SelectChoice(entry.id, entry.name + (" (proposed)" if entry.status == "proposed"
                                                                  else "")) for entry in into]
    return form
