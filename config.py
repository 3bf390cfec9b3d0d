"""Typed settings per environment, read from environment variables."""
from __future__ import annotations

import os
import secrets
import sys
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_ROOT / "instance"
MIN_SECRET_KEY_LENGTH = 32
ENVIRONMENTS = ("development", "test", "production")
#: Roles that must sign in with a second factor, in production unless REQUIRE_2FA_ROLES says otherwise.
PRODUCTION_2FA_ROLES = ("supervisor", "auditor", "admin")


class ConfigError(Exception):
    """The environment does not describe a safe configuration."""


@dataclass(frozen=True)
class Settings:
    """The knobs of one running app; field names are Flask config keys."""

    ENV: str
    SECRET_KEY: str
    DATABASE_URL: str
    EVIDENCE_DIR: str
    MAX_CONTENT_LENGTH: int = 50 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    SESSION_COOKIE_SECURE: bool = False
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SECURE: bool = False
    WTF_CSRF_ENABLED: bool = True
    #: Failed sign-ins allowed per (account, address) inside the window.
    LOGIN_MAX_FAILURES: int = 5
    #: Failed sign-ins allowed per address, whatever the usernames tried.
    LOGIN_MAX_FAILURES_PER_ADDRESS: int = 20
    LOGIN_WINDOW_SECONDS: int = 15 * 60
    #: Past LOGIN_MAX_FAILURES on an account (from any address), each attempt on it waits
    #: 1, 2, 4 … seconds up to this: slower guessing, but never a lock a stranger can set.
    LOGIN_MAX_DELAY_SECONDS: int = 8
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted.
    TRUSTED_PROXIES: int = 0
    #: A session ends after this long without a request, and this long after sign-in at most.
    SESSION_IDLE_MINUTES: int = 30
    SESSION_MAX_HOURS: int = 12
    PERMANENT_SESSION_LIFETIME: timedelta = timedelta(hours=12)
    #: Users holding any of these roles must use a second factor (TOTP).
    REQUIRE_2FA_ROLES: tuple = ()
    #: Strict-Transport-Security on every response (production: served over HTTPS).
    HSTS: bool = False
    BOOTSTRAP_SERVE_LOCAL: bool = True
    #: Werkzeug's scrypt at its default cost; the test settings use a cheaper cost.
    PASSWORD_HASH_METHOD: str = "scrypt"
    #: Path of the Ed25519 private key that signs audit checkpoints; none: no checkpoints.
    AUDIT_SIGNING_KEY: str = ""
    #: Path of the log's Ed25519 public key, for verifying where the private key is not kept.
    AUDIT_PUBLIC_KEY: str = ""
    #: The log's name in its checkpoints (and its signing key's name), e.g. example.org/audit.
    AUDIT_LOG_ORIGIN: str = "restraint.localhost/audit"
    #: A write signs a new checkpoint when the last is this old or this many events behind.
    AUDIT_CHECKPOINT_SECONDS: int = 60
    AUDIT_CHECKPOINT_EVENTS: int = 1000
    #: Verifier keys (C2SP vkey text, space-separated) of the witnesses whose cosignatures count.
    AUDIT_WITNESS_KEYS: str = ""
    #: PostgreSQL: the tables' owner, used by `db upgrade`; DATABASE_URL is then the runtime role.
    MIGRATION_DATABASE_URL: str = ""
    #: PostgreSQL: the runtime role that `db upgrade` grants exactly what the app needs.
    DATABASE_APP_ROLE: str = ""
    #: Database connections each app process keeps: one per request thread (a request holds
    #: at most one), so the threads of a gunicorn worker (gunicorn.conf.py sets it from THREADS).
    DATABASE_POOL_SIZE: int = 5
    #: Connections allowed beyond the pool for moments of more threads than it holds.
    DATABASE_MAX_OVERFLOW: int = 5
    #: How long a request waits for a free connection before it fails.
    DATABASE_POOL_TIMEOUT: int = 30
    #: Origins (scheme://host[:port]) whose pages may call the JSON API from a browser; none by default.
    API_CORS_ORIGINS: tuple = ()
    #: The SMTP server notifications are emailed through; none: no email (the inbox only).
    MAIL_SERVER: str = ""
    MAIL_PORT: int = 25
    #: STARTTLS before signing in and sending.
    MAIL_USE_TLS: bool = False
    MAIL_USERNAME: str = ""
    MAIL_PASSWORD: str = ""
    MAIL_FROM: str = "restraint@localhost"
    #: A failed email is tried again after this long, then twice as long each time (up to an hour).
    MAIL_RETRY_SECONDS: int = 60
    #: The address the app is reached at, for the links in emails.
    PUBLIC_URL: str = "http://127.0.0.1:5000"
    #: Days a case may stay in each stage before it is overdue (workflow.durations' defaults).
    STAGE_TARGET_DAYS: dict = field(default_factory=dict)
    TESTING: bool = False
    extra: dict = field(default_factory=dict)

    def as_flask_config(self) -> dict:
        """The settings as a mapping for `app.config.update`."""
        values = asdict(self)
        values.update(values.pop("extra"))
        return values


def _development_secret_key(instance_dir: Path) -> str:
    """Generate the development key once and keep it in the instance folder."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _development_signing_key(instance_dir: Path) -> str:
    """Make the development log's signing key once, so `make run` signs checkpoints too."""
    from workflow.log_keys import generate_keys

    path, public = instance_dir / "audit-signing.pem", instance_dir / "audit-signing.pub.pem"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_keys()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return str(path)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        public.write_bytes(public_pem)
    return str(path)


def load_settings(env: str | None = None, environ=os.environ,
                  instance_dir: Path = INSTANCE_DIR) -> Settings:
    """Build the settings of `env` (default `RESTRAINT_ENV` or development)."""
    env = env or environ.get("RESTRAINT_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"RESTRAINT_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    secret = environ.get("SECRET_KEY", "")
    if env == "production":
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} characters in production")
    elif env == "test":
        secret = secret or secrets.token_hex(32)
    else:
        secret = secret or _development_secret_key(instance_dir)
    max_length = _number(environ, "MAX_CONTENT_LENGTH", 50 * 1024 * 1024, "a number of bytes")
    production = env == "production"
    idle = _number(environ, "SESSION_IDLE_MINUTES", 30, "a number of minutes", minimum=1)
    max_hours = _number(environ, "SESSION_MAX_HOURS", 12, "a number of hours", minimum=1)
    proxies = _number(environ, "TRUSTED_PROXIES", 0, "a number of proxy hops", minimum=0)
    two_factor = environ.get("REQUIRE_2FA_ROLES")
    if two_factor is None:
        two_factor_roles = PRODUCTION_2FA_ROLES if production else ()
    else:
        two_factor_roles = tuple(role.strip() for role in two_factor.split(",") if role.strip())
    from workflow.roles import ROLES
    unknown = sorted(set(two_factor_roles) - set(ROLES))
    if unknown:
        raise ConfigError(f"REQUIRE_2FA_ROLES: unknown role {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    return Settings(
        ENV=env,
        SECRET_KEY=secret,
        DATABASE_URL=environ.get("DATABASE_URL", f"sqlite:///{instance_dir / 'restraint.db'}"),
        EVIDENCE_DIR=environ.get("EVIDENCE_DIR", str(instance_dir / "evidence")),
        MAX_CONTENT_LENGTH=max_length,
        SESSION_COOKIE_SECURE=production,
        REMEMBER_COOKIE_SECURE=production,
        TESTING=env == "test",
        PASSWORD_HASH_METHOD="scrypt:1024:8:1" if env == "test" else "scrypt",
        AUDIT_SIGNING_KEY=environ.get("AUDIT_SIGNING_KEY") or (
            _development_signing_key(instance_dir) if env == "development" else ""),
        AUDIT_PUBLIC_KEY=environ.get("AUDIT_PUBLIC_KEY", ""),
        AUDIT_LOG_ORIGIN=_origin(environ.get("AUDIT_LOG_ORIGIN", Settings.AUDIT_LOG_ORIGIN)),
        AUDIT_CHECKPOINT_SECONDS=_number(environ, "AUDIT_CHECKPOINT_SECONDS", 60, "a number of seconds"),
        AUDIT_CHECKPOINT_EVENTS=_number(environ, "AUDIT_CHECKPOINT_EVENTS", 1000, "a number of events"),
        AUDIT_WITNESS_KEYS=environ.get("AUDIT_WITNESS_KEYS", ""),
        MIGRATION_DATABASE_URL=environ.get("MIGRATION_DATABASE_URL", ""),
        DATABASE_APP_ROLE=_role(environ.get("DATABASE_APP_ROLE", "")),
        SESSION_IDLE_MINUTES=idle,
        SESSION_MAX_HOURS=max_hours,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=max_hours),
        TRUSTED_PROXIES=proxies,
        REQUIRE_2FA_ROLES=two_factor_roles,
        HSTS=production,
        DATABASE_POOL_SIZE=_number(environ, "DATABASE_POOL_SIZE", 5, "a number of connections",
                                   minimum=1),
        DATABASE_MAX_OVERFLOW=_number(environ, "DATABASE_MAX_OVERFLOW", 5, "a number of connections"),
        DATABASE_POOL_TIMEOUT=_number(environ, "DATABASE_POOL_TIMEOUT", 30, "a number of seconds",
                                      minimum=1),
        API_CORS_ORIGINS=_origins(environ.get("API_CORS_ORIGINS", "")),
        MAIL_SERVER=environ.get("MAIL_SERVER", ""),
        MAIL_PORT=_number(environ, "MAIL_PORT", 25, "a port number", minimum=1),
        MAIL_USE_TLS=_flag(environ, "MAIL_USE_TLS"),
        MAIL_USERNAME=environ.get("MAIL_USERNAME", ""),
        MAIL_PASSWORD=environ.get("MAIL_PASSWORD", ""),
        MAIL_FROM=environ.get("MAIL_FROM", Settings.MAIL_FROM),
        MAIL_RETRY_SECONDS=_number(environ, "MAIL_RETRY_SECONDS", 60, "a number of seconds",
                                   minimum=1),
        PUBLIC_URL=environ.get("PUBLIC_URL", Settings.PUBLIC_URL).rstrip("/"),
        STAGE_TARGET_DAYS=stage_targets(environ.get("STAGE_TARGET_DAYS", "")),
    )


def _origin(value: str) -> str:
    """A checkpoint's origin line is also its key's name: no spaces, no '+', one line."""
    if not value or any(c.isspace() or c == "+" for c in value):
        raise ConfigError("AUDIT_LOG_ORIGIN must be one word without spaces or '+', "
                          "e.g. restraint.example.org/audit")
    return value


def _origins(value: str) -> tuple[str, ...]:
    """Space- or comma-separated origins, each a scheme and a host, no path."""
    origins = tuple(part for part in value.replace(",", " ").split() if part)
    for origin in origins:
        scheme, _, rest = origin.partition("://")
        if scheme not in ("http", "https") or not rest or "/" in rest:
            raise ConfigError(f"API_CORS_ORIGINS: {origin!r} is not an origin like https://lab.example.org")
    return origins


def _role(value: str) -> str:
    """A PostgreSQL role name that is safe to write into GRANT statements."""
    if value and not (value.replace("_", "").isalnum() and value.isascii() and not value[0].isdigit()):
        raise ConfigError("DATABASE_APP_ROLE must be a plain role name (letters, digits, _)")
    return value


def _flag(environ, name: str) -> bool:
    """A yes/no setting: 1, true or yes (any case) is yes; unset or empty is no."""
    value = environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ConfigError(f"{name} must be 1 or 0 (true or false)")


def stage_targets(value: str) -> dict[str, int]:
    """Each open stage's target in days: the defaults, with `stage=days,…` over them."""
    from workflow.durations import DEFAULT_TARGET_DAYS
    targets = dict(DEFAULT_TARGET_DAYS)
    for part in filter(None, (part.strip() for part in value.split(","))):
        stage, _, days = part.partition("=")
        stage = stage.strip()
        if stage not in targets:
            raise ConfigError(f"STAGE_TARGET_DAYS: {stage!r} is not an open stage; the stages are "
                              f"{', '.join(targets)}")
        if not days.strip().isdigit() or int(days) < 1:
            raise ConfigError(f"STAGE_TARGET_DAYS: {stage} needs a whole number of days, at least 1")
        targets[stage] = int(days)
    return targets


def _number(environ, name: str, default: int, what: str, minimum: int = 0) -> int:
    """A whole-number setting; ConfigError naming it when it is not one."""
    try:
        value = int(environ.get(name, default))
    except ValueError:
        raise ConfigError(f"{name} must be {what}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be {what}, at least {minimum}")
    return value


def main(argv: list[str]) -> int:
    """Check the settings of an environment: one line on stderr and exit 2 when unsafe."""
    try:
        load_settings(argv[1] if len(argv) > 1 else None)
    except ConfigError as error:
        print(f"restraint: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
