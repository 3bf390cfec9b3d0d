"""Settings per environment and the factory that reads them."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import config
from app import create_app
from config import ConfigError, load_settings


def test_factory_honours_test_config(database_url):
    app = create_app({"ENV": "test", "DATABASE_URL": database_url, "MAX_CONTENT_LENGTH": 1234})
    assert app.config["TESTING"] and app.config["MAX_CONTENT_LENGTH"] == 1234
    assert app.extensions["database"].engine.url.render_as_string() == database_url
    app.extensions["database"].dispose()


def test_production_needs_a_long_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_settings("production", {"SECRET_KEY": "short"}, tmp_path)
    settings = load_settings("production", {"SECRET_KEY": "k" * 32}, tmp_path)
    assert settings.SESSION_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"


def test_config_check_is_one_line_and_nonzero(tmp_path):
    result = subprocess.run([sys.executable, "-m", "config", "production"], capture_output=True,
                            text=True, env={"PATH": "/usr/bin"}, cwd=config.PROJECT_ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "restraint: SECRET_KEY must be set to at least 32 characters in production"]


def test_development_key_is_generated_once_and_kept(tmp_path):
    first = load_settings("development", {}, tmp_path)
    second = load_settings("development", {}, tmp_path)
    assert first.SECRET_KEY == second.SECRET_KEY and len(first.SECRET_KEY) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert not first.SESSION_COOKIE_SECURE
    assert first.DATABASE_URL == f"sqlite:///{tmp_path / 'restraint.db'}"
    assert first.EVIDENCE_DIR == str(tmp_path / "evidence")


def test_environment_variables_are_read(tmp_path):
    settings = load_settings("development", {
        "DATABASE_URL": "postgresql://db/restraint", "EVIDENCE_DIR": "/srv/evidence",
        "MAX_CONTENT_LENGTH": "1000", "SECRET_KEY": "x" * 40}, tmp_path)
    assert (settings.DATABASE_URL, settings.EVIDENCE_DIR, settings.MAX_CONTENT_LENGTH) == (
        "postgresql://db/restraint", "/srv/evidence", 1000)
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH"):
        load_settings("development", {"MAX_CONTENT_LENGTH": "lots"}, tmp_path)
    with pytest.raises(ConfigError, match="RESTRAINT_ENV"):
        load_settings("staging", {}, tmp_path)


def test_development_makes_its_log_signing_key_once(tmp_path):
    first = load_settings("development", environ={}, instance_dir=tmp_path)
    key = Path(first.AUDIT_SIGNING_KEY)
    assert key == tmp_path / "audit-signing.pem" and oct(key.stat().st_mode & 0o777) == "0o600"
    assert (tmp_path / "audit-signing.pub.pem").exists()
    again = load_settings("development", environ={}, instance_dir=tmp_path)
    assert again.AUDIT_SIGNING_KEY == first.AUDIT_SIGNING_KEY and key.read_bytes() == Path(again.AUDIT_SIGNING_KEY).read_bytes()
    assert load_settings("test", environ={}, instance_dir=tmp_path).AUDIT_SIGNING_KEY == ""


def test_session_throttle_and_second_factor_settings_are_read(tmp_path):
    settings = load_settings("development", {
        "SESSION_IDLE_MINUTES": "10", "SESSION_MAX_HOURS": "8", "TRUSTED_PROXIES": "2",
        "REQUIRE_2FA_ROLES": "supervisor, auditor"}, tmp_path)
    assert (settings.SESSION_IDLE_MINUTES, settings.SESSION_MAX_HOURS, settings.TRUSTED_PROXIES) == (10, 8, 2)
    assert settings.PERMANENT_SESSION_LIFETIME.total_seconds() == 8 * 3600
    assert settings.REQUIRE_2FA_ROLES == ("supervisor", "auditor")
    defaults = load_settings("development", {}, tmp_path)
    assert (defaults.SESSION_IDLE_MINUTES, defaults.SESSION_MAX_HOURS, defaults.TRUSTED_PROXIES) == (30, 12, 0)
    for name, value in (("SESSION_IDLE_MINUTES", "0"), ("TRUSTED_PROXIES", "many"),
                        ("REQUIRE_2FA_ROLES", "wizard")):
        with pytest.raises(ConfigError, match=name):
            load_settings("development", {name: value}, tmp_path)


def test_make_run_serves_on_the_port_asked_for():
    import shutil
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    from config import PROJECT_ROOT
    for arguments, port in ((["PORT=5001"], "5001"), ([], "5000")):
        dry = subprocess.run(["make", "-s", "-n", "-C", str(PROJECT_ROOT), "run", *arguments],
                             capture_output=True, text=True, check=True).stdout
        assert dry.splitlines()[-1].endswith(f"run --host 127.0.0.1 --port {port}"), dry
