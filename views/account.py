"""My account: password, roles, second factor, access tokens, and signing out everywhere."""
from __future__ import annotations

from contextlib import nullcontext

import segno
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user
from markupsafe import Markup

from models.user import User
from views import db, notifications
from views.access import current_actor
from views.auth import _start_session, client_address, throttle
from views.commands import run
from views.forms import (
    CodeForm,
    ConfirmForm,
    EmailKindsForm,
    PasswordChangeForm,
    PreferencesForm,
    RecoveryCodesForm,
    TokenForm,
)
from vocabulary import LANGUAGES
from workflow import accounts, clock, second_factor, tokens
from workflow import notifications as notices

blueprint = Blueprint("account", __name__, url_prefix="/account")
# One's notifications are one's own, like one's account: /account/notifications.
blueprint.register_blueprint(notifications.blueprint)


def _page(password_form=None, refusal=None, token_form=None, new_token=None, preferences_form=None):
    """My account page with its forms, a refusal at its top (and a new token's secret, once)."""
    required = any(role in current_app.config["REQUIRE_2FA_ROLES"] for role in current_user.roles)
    return render_template(
        "account/index.html", password_form=password_form or PasswordChangeForm(formdata=None),
        confirm=ConfirmForm(), required=required,
        codes_left=second_factor.recovery_codes_left(db.session(), current_user.id), refusal=refusal,
        token_form=token_form or TokenForm(formdata=None), new_token=new_token,
        tokens=tokens.tokens_of(db.session(), current_user.id), now=clock.utcnow(),
        scope_names=tokens.SCOPE_NAMES,
        email_form=EmailKindsForm(formdata=None,
                                  kinds=sorted(notices.email_kinds(db.session(), current_user.id))),
        mail_on=bool(current_app.config["MAIL_SERVER"]),
        preferences_form=preferences_form or PreferencesForm(
            formdata=None, locale=current_user.locale or "", time_zone=current_user.time_zone or ""))


def _password_again(form) -> nullcontext:
    """The proof that the form's current password is right, checked before the change's transaction."""
    return nullcontext(accounts.reauthenticate(db.transaction, current_user.id,
                                               form.current_password.data, client_address(), throttle()))


@blueprint.route("")
def index():
    """My roles, my password, my second factor, and signing out everywhere."""
    return _page()


@blueprint.route("/password", methods=["POST"])
def change_password():
    """Change my password (the current one is asked); my other sessions end."""
    form = PasswordChangeForm()

    def change(write, proof):
        user = write.get(User, current_user.id)
        accounts.change_password(write, user, proof, form.new_password.data)
        user.roles  # loaded now: the user outlives the transaction
        return user
    outcome = run(form, change, lambda refusal=None: _page(form, refusal),
                  prepare=lambda: _password_again(form))
    if outcome.refused:
        return outcome.page
    user = outcome.value
    # This session goes on with the new generation; every other one has ended.
    _start_session(user)
    flash(_("Password changed. Your other sessions have ended."), "success")
    return redirect(url_for("account.index"))


@blueprint.route("/preferences", methods=["POST"])
def preferences():
    """Choose the language and the time zone of my pages."""
    form = PreferencesForm()
    outcome = run(form, lambda write: accounts.set_preferences(
        write, current_actor(), current_user.id, locale=form.locale.data or None,
        time_zone=form.time_zone.data.strip() or None),
        lambda refusal=None: _page(refusal=refusal, preferences_form=form))
    if outcome.refused:
        return outcome.page
    session.pop("locale", None)  # the account's choice speaks from now on
    # Said in the language chosen, which the next page speaks.
    with force_locale(form.locale.data or request.accept_languages.best_match(LANGUAGES) or "en"):
        flash(_("Language and time zone saved."), "success")
    return redirect(url_for("account.index"))


@blueprint.route("/sign-out-everywhere", methods=["POST"])
def sign_out_everywhere():
    """End every session of mine, in every browser, this one included."""
    outcome = run(ConfirmForm(), lambda write: accounts.end_all_sessions(
        write, current_actor(), write.get(User, current_user.id)))
    if outcome.refused:
        return outcome.page
    session.clear()
    flash(_("You are signed out everywhere."), "info")
    return redirect(url_for("auth.login"))


def qr_svg(uri: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, made here (no outside service sees the secret)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff",
                                                          title=_("QR code of your second-factor secret")))


@blueprint.route("/two-factor", methods=["GET", "POST"])
def two_factor():
    """Set up the second factor: scan the QR code (or type the secret), confirm with a code;
    the ten recovery codes are shown once."""
    form = CodeForm()
    if current_user.has_second_factor:
        return enrolled_page(RecoveryCodesForm(formdata=None))

    def page(refusal=None):
        """The set-up page, with the secret waiting for confirmation (started if none is)."""
        with db.transaction() as write:
            secret = second_factor.start_enrolment(write, write.get(User, current_user.id))
        uri = second_factor.provisioning_uri(secret, current_user.username)
        grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
        return render_template("account/two_factor.html", enrolled=False, form=form, secret=grouped,
                               qr=qr_svg(uri), refusal=refusal)
    if request.method == "GET":
        return page()
    outcome = run(form, lambda write: second_factor.confirm_enrolment(
        write, write.get(User, current_user.id), form.code.data), page)
    if outcome.refused:
        return outcome.page
    if outcome.value is None:
        form.code.errors = [second_factor.WRONG_ENROLMENT_CODE]
        return page(), 422
    return render_template("account/recovery_codes.html", codes=outcome.value)


def enrolled_page(renew_form: RecoveryCodesForm, refusal=None) -> str:
    """The second factor's page once it is on: the codes left, and the form to renew them."""
    return render_template("account/two_factor.html", enrolled=True, renew_form=renew_form,
                           codes_left=second_factor.recovery_codes_left(db.session(), current_user.id),
                           refusal=refusal)


@blueprint.route("/two-factor/recovery-codes", methods=["POST"])
def renew_recovery_codes():
    """Ten new recovery codes, for the password; the old ones stop working."""
    if not current_user.has_second_factor:
        return redirect(url_for("account.two_factor"))
    form = RecoveryCodesForm()
    outcome = run(form, lambda write, proof: second_factor.new_recovery_codes(
        write, write.get(User, current_user.id), proof),
        lambda refusal=None: enrolled_page(form, refusal), prepare=lambda: _password_again(form))
    if outcome.refused:
        return outcome.page
    return render_template("account/recovery_codes.html", codes=outcome.value)


@blueprint.route("/tokens")
def tokens_section():
    """The address a new token's page was shown at, opened again: the tokens on my account page."""
    return redirect(url_for("account.index", _anchor="tokens"))


@blueprint.route("/tokens", methods=["POST"])
def create_token():
    """Make a personal access token for the JSON API; its secret is shown this once."""
    form = TokenForm()
    outcome = run(form, lambda write: tokens.create_token(
        write, current_actor(), name=form.name.data, expires_on=form.expires_on.data,
        scopes=form.scopes.data or []).secret,
        lambda refusal=None: _page(refusal=refusal, token_form=form))
    if outcome.refused:
        return outcome.page
    db.session().rollback()  # the list is read afresh: this request's reads began before the token
    return _page(new_token=outcome.value)


@blueprint.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    """Revoke one of my tokens: it stops working at once."""
    outcome = run(ConfirmForm(), lambda write: tokens.revoke_token(write, current_actor(), token_id))
    if outcome.refused:
        return outcome.page
    flash(_("Token revoked."), "info")
    return redirect(url_for("account.index"))
