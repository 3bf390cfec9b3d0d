"""WTForms forms of the task commands (the inbox, the case's task list and its management)."""
from functools import partial

from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from flask_babel import lazy_gettext as _l

from views.commands import deferred
from views.evidence_forms import choices
from views.forms import Form
from workflow.roles import ANALYST, INVESTIGATOR, LEGAL_OFFICER, SUPERVISOR

#: The queues a supervisor may add a task to.
QUEUES = (INVESTIGATOR, ANALYST, LEGAL_OFFICER, SUPERVISOR)


class TaskForm(Form):
    """Claim or unclaim a task; `back` says where the button was ("inbox" or the case)."""

    back = HiddenField()


class CompleteTaskForm(TaskForm):
    note = StringField(_l("Note"), validators=[Optional(), Length(max=5000)])


class CancelTaskForm(Form):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=5000)])


class AssignTaskForm(Form):
    user_id = IntegerField(_l("Assignee"), validators=[InputRequired(message=_l("choose someone"))])


class AddTaskForm(Form):
    title = StringField(_l("New task"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Queue"), choices=choices(QUEUES))
    due_on = DateField(_l("Due on"), validators=[Optional()])
    required = BooleanField(_l("required"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


def task_forms() -> dict:
    """The forms behind the buttons of task rows and of task management, unbound (for their
    fields and CSRF token)."""
    forms = {"task_form": TaskForm, "complete_task_form": CompleteTaskForm,
             "cancel_task_form": CancelTaskForm, "assign_task_form": AssignTaskForm,
             "add_task_form": AddTaskForm}
    return {name: deferred(partial(form, formdata=None)) for name, form in forms.items()}
