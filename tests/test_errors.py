"""Error pages: the app's own look, a clear message, never a stack trace."""
from __future__ import annotations

import pytest
from werkzeug.exceptions import abort


@pytest.fixture
def failing_app(app):
    @app.route("/_boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.route("/_abort/<int:code>")
    def aborting(code):
        abort(code)

    return app


def test_unexpected_error_is_a_plain_500_page(failing_app, auth, client, caplog):
    auth.login_as("analyst")
    response = client.get("/_boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "Restraint" in page
    assert "Traceback" not in page and "secret internals" not in page
    assert "secret internals" in caplog.text  # logged for operators


@pytest.mark.parametrize("code", [400, 403, 404, 409, 413, 422, 429])
def test_each_error_has_a_page_in_the_app_look(failing_app, auth, client, code):
    auth.login_as("analyst")
    response = client.get(f"/_abort/{code}")
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert f"{code} ·" in page and 'class="navbar' in page


def test_oversized_body_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_unknown_page_is_404_for_signed_in_users(auth, client):
    auth.login_as("auditor")
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
