"""WTForms forms of the register pages."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from views.forms import Form
from workflow.words import inline

NO_PARENT = SelectChoice(0, _l("— none —"))


def words(value: str):
    """A code as words, in the reader's language: state_organ → state organ."""
    return inline(value)


class EntryForm(Form):
    """A new entry: its name, kind, parent and the other names it is known by."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(_l("Kind"), choices=[])
    parent_id = SelectField(_l("Belongs to"), coerce=int, choices=[NO_PARENT],
                            description=_l("A unit to its state, an organ to its organisation."))
    other_names = TextAreaField(_l("Other names"), validators=[Length(max=10_000)],
                                description=_l("One a line: spellings, abbreviations, names in other languages."))
    note = TextAreaField(_l("Note"), validators=[Length(max=5000)])

    def other_names_list(self) -> list[str]:
        return [line.strip() for line in (self.other_names.data or "").splitlines() if line.strip()]


class AliasForm(Form):
    alias = StringField(_l("Another name"), validators=[DataRequired(), Length(max=300)])


class AcceptForm(Form):
    """Accept a proposed entry, saying what kind it is and where it belongs."""

    kind = SelectField(_l("Kind"), choices=[])
    parent_id = SelectField(_l("Belongs to"), coerce=int, choices=[NO_PARENT])


class MergeForm(Form):
    into = SelectField(_l("Merge into"), coerce=int, choices=[],
                       description=_l("The entry that keeps the names and the records."))


def with_choices(form, kinds, parents=(), into=()):
    """Fill a form's choices: the register's kinds, the possible parents, the merge targets."""
    if hasattr(form, "kind"):
        form.kind.choices = [SelectChoice(kind, words(kind)) for kind in kinds]
    if hasattr(form, "parent_id"):
        form.parent_id.choices = [NO_PARENT, *(SelectChoice(entry.id, entry.name) for entry in parents)]
    if hasattr(form, "into"):
        form.into.choices = [SelectChoice(entry.id, _l("%(name)s (proposed)", name=entry.name)
                                          if entry.status == "proposed" else entry.name) for entry in into]
    return form
