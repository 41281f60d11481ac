"""Configuration read from the environment (and `.env` via python-dotenv)."""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
load_dotenv(BASE_DIR / ".env")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    return int(raw) if raw else default


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


ENVIRONMENTS = ("development", "testing", "production")
MIN_SECRET_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def instance_secret(name: str, make) -> str:
    """Read a development secret from `instance/`, creating it on first use."""
    INSTANCE_DIR.mkdir(mode=0o700, exist_ok=True)
    path = INSTANCE_DIR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def check_secrets(secret_key: str, token_keys: str) -> None:
    """Raise ConfigError for a short SECRET_KEY or a TOKEN_ENCRYPTION_KEYS entry that is not
    a Fernet key (both would fail later, and far from the cause)."""
    if len(secret_key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes "
            '(python -c "import secrets; print(secrets.token_hex(32))")'
        )
    keys = [key.strip() for key in token_keys.split(",") if key.strip()]
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ConfigError(
                f"TOKEN_ENCRYPTION_KEYS: key {number} is not a Fernet key (32 url-safe "
                "base64-encoded bytes; see .env.example)"
            ) from None
    if not keys:
        raise ConfigError("TOKEN_ENCRYPTION_KEYS holds no key")


def require_explicit_app_env() -> None:
    """Raise ConfigError unless APP_ENV is set (in the environment or `.env`): `wsgi:app` under
    gunicorn must not quietly become a development server because a variable was forgotten."""
    if not env_str("APP_ENV"):
        raise ConfigError(
            "APP_ENV is not set. Set APP_ENV=production (or development/testing) for "
            "`gunicorn wsgi:app`; only `flask …`, `make run` and `python wsgi.py` default to "
            "development."
        )


class Config:
    ENV_NAME = env_str("APP_ENV", "development").lower()
    DEVELOPMENT = ENV_NAME == "development"
    TESTING = False

    SECRET_KEY = env_str("SECRET_KEY")
    PASSWORD_HASH_METHOD = "scrypt"  # not read from the environment: no way to weaken it there
    TOKEN_ENCRYPTION_KEYS = env_str("TOKEN_ENCRYPTION_KEYS")

    SQLALCHEMY_DATABASE_URI = env_str(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'meta_lead_desk.sqlite'}"
    )
    # hide_parameters: SQL parameters (emails, phones) never appear in errors or logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    REDIS_URL = env_str("REDIS_URL") or None
    SOCKETIO_CHANNEL = env_str("SOCKETIO_CHANNEL", "flask-socketio")  # Redis pub/sub channel

    META_GRAPH_URL = env_str("META_GRAPH_URL", "https://graph.facebook.com")
    META_GRAPH_VERSION = env_str("META_GRAPH_VERSION", "v25.0")
    META_APP_SECRET = env_str("META_APP_SECRET")
    META_APP_ID = env_str("META_APP_ID")
    META_WEBHOOK_VERIFY_TOKEN = env_str("META_WEBHOOK_VERIFY_TOKEN")
    META_SANDBOX = env_bool("META_SANDBOX")
    META_SANDBOX_LEAD_INTERVAL = env_int("META_SANDBOX_LEAD_INTERVAL", 20)
    META_HTTP_TIMEOUT = float(env_str("META_HTTP_TIMEOUT", "20"))
    META_MAX_RETRIES = env_int("META_MAX_RETRIES", 3)
    META_RETRY_BACKOFF_S = float(env_str("META_RETRY_BACKOFF_S", "1.0"))
    META_SYNC_OVERLAP_SECONDS = env_int("META_SYNC_OVERLAP_SECONDS", 300)
    META_PAGE_SIZE = env_int("META_PAGE_SIZE", 100)
    META_SYNC_BATCH = env_int("META_SYNC_BATCH", 500)
    META_SYNC_LEASE_SECONDS = env_int("META_SYNC_LEASE_SECONDS", 180)  # stale without a beat
    META_SYNC_HEARTBEAT_SECONDS = float(env_str("META_SYNC_HEARTBEAT_SECONDS", "15"))

    SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED")
    WEBHOOK_WORKER = env_bool("WEBHOOK_WORKER", True)
    WEBHOOK_MAX_BYTES = env_int("WEBHOOK_MAX_BYTES", 2 * 1024 * 1024)
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024  # no request body beyond this, anywhere
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()

    MAIL_SERVER = env_str("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USERNAME = env_str("MAIL_USERNAME") or None
    MAIL_PASSWORD = env_str("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "leads@localhost")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    # Seconds for the SMTP connect and for each read or write on it: a server that accepts
    # the connection and then hangs holds only the mail thread, and only this long.
    MAIL_TIMEOUT = float(env_str("MAIL_TIMEOUT", "10"))
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)  # then the mail is dead
    MAIL_RETRY_BASE_S = float(env_str("MAIL_RETRY_BASE_S", "30"))  # doubles per try, capped
    MAIL_BATCH = env_int("MAIL_BATCH", 200)  # mails per SMTP connection
    # A sender's claim on its batch; a sender killed mid-batch leaves the rest to the next
    # one after this. Longer than a batch takes (MAIL_BATCH mails at MAIL_TIMEOUT at worst),
    # or a slow sender's mails could be claimed (and sent) twice.
    MAIL_LEASE_SECONDS = env_int("MAIL_LEASE_SECONDS", 300)
    MAIL_WORKER = env_bool("MAIL_WORKER", True)  # send right after the commit that queued
    ALERT_MIN_SCORE = env_int("ALERT_MIN_SCORE", 30)
    # The desk's address as recipients reach it: links in mails (no request to take it from).
    APP_BASE_URL = env_str("APP_BASE_URL", "http://127.0.0.1:5000")

    BACKUP_DIR = env_str("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    BACKUP_KEEP = env_int("BACKUP_KEEP", 14)  # days
    BACKUP_ENCRYPTION_KEY = env_str("BACKUP_ENCRYPTION_KEY")  # Fernet keys, comma-separated
    PG_BIN_DIR = env_str("PG_BIN_DIR")  # where pg_dump/pg_restore are, when not on PATH

    DEFAULT_PHONE_REGION = env_str("DEFAULT_PHONE_REGION", "TR")
    # Erasure tombstones are HMACs under these secrets (comma-separated: the first hashes new
    # tombstones, all are checked, so a key can be rotated in). Required in production.
    PRIVACY_HASH_KEYS = env_str("PRIVACY_HASH_KEYS")
    RETENTION_MONTHS = env_int("RETENTION_MONTHS", 24)  # closed, unconverted leads
    RAW_RETENTION_DAYS = env_int("RAW_RETENTION_DAYS", 90)  # quarantine and webhook payloads
    ACCESS_LOG_RETENTION_DAYS = env_int("ACCESS_LOG_RETENTION_DAYS", 365)
    APP_TIMEZONE = env_str("APP_TIMEZONE", "Europe/Istanbul")
    # The name in the navigation bar and page titles; its first word is the logo mark. The
    # colours are the CSS variables in static/css/brand.css.
    BRAND_NAME = env_str("BRAND_NAME", "MSH Med Tour")
    # The team's working hours ("ISO weekdays HH:MM-HH:MM", in APP_TIMEZONE): they apply to
    # staff without their own hours and to response targets while a lead is unassigned.
    TEAM_WORK_HOURS = env_str("TEAM_WORK_HOURS", "12345 09:00-18:00")
    # Minutes of working time to the first contact, by score band (70+, 40+, the rest).
    RESPONSE_TARGETS = env_str("RESPONSE_TARGETS", "70:5,40:30,0:240")
    # Pages, emails and messages: tr, en or ar (ar falls back to English where untranslated).
    DEFAULT_LOCALE = env_str("DEFAULT_LOCALE", "tr")
    BABEL_DEFAULT_LOCALE = DEFAULT_LOCALE
    BABEL_DEFAULT_TIMEZONE = APP_TIMEZONE

    RATELIMIT_STORAGE_URI = env_str("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", "10 per minute")
    API_RATE_LIMIT = env_str("API_RATE_LIMIT", "1000 per hour")
    # Bulk actions, undos and exports share one budget per user (per IP when anonymous).
    BULK_RATE_LIMIT = env_str("BULK_RATE_LIMIT", "100 per hour")
    BULK_SYNC_LIMIT = env_int("BULK_SYNC_LIMIT", 2000)  # more leads run in the background
    XLSX_SYNC_LIMIT = env_int("XLSX_SYNC_LIMIT", 50_000)  # a larger XLSX is built in the background
    EXPORT_DIR = env_str("EXPORT_DIR", str(INSTANCE_DIR / "exports"))

    # A sign-in ends with the browser, after SESSION_IDLE_MINUTES without a request (Flask
    # refuses a cookie signed longer ago than this; every response re-signs it), and
    # SESSION_MAX_HOURS after it began, whichever comes first.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 120))
    SESSION_MAX_AGE = timedelta(hours=env_int("SESSION_MAX_HOURS", 12))
    RESET_TOKEN_MINUTES = env_int("RESET_TOKEN_MINUTES", 30)  # a password reset link lasts
    # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host/-Port (0: none, and
    # those headers are ignored; 1: one TLS proxy such as nginx). See the README.
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)  # sent in production only

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = not DEVELOPMENT
    REMEMBER_COOKIE_SECURE = not DEVELOPMENT
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    LEADS_PER_PAGE = 50

    @classmethod
    def finalize(cls) -> None:
        """Fill development secrets; raise ConfigError for a configuration that is half right
        (unknown APP_ENV, the sandbox or missing secrets in production, weak or broken keys)."""
        if cls.ENV_NAME not in ENVIRONMENTS:
            raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}")
        production = cls.ENV_NAME == "production"
        if production and cls.META_SANDBOX:
            raise ConfigError("META_SANDBOX=1 is refused in production: it is a fake Meta")
        if cls.TRUSTED_PROXIES < 0:
            raise ConfigError("TRUSTED_PROXIES is a number of proxies (0 = none)")
        if production and not (cls.SECRET_KEY and cls.TOKEN_ENCRYPTION_KEYS):
            raise ConfigError(
                "SECRET_KEY and TOKEN_ENCRYPTION_KEYS must be set in production (see .env.example)"
            )
        if production and not cls.PRIVACY_HASH_KEYS:
            raise ConfigError(
                "PRIVACY_HASH_KEYS must be set in production: erased people would come back "
                "if it changed (see .env.example)"
            )
        if not cls.SECRET_KEY:
            cls.SECRET_KEY = instance_secret("secret_key", lambda: secrets.token_hex(32))
        if not cls.TOKEN_ENCRYPTION_KEYS:
            cls.TOKEN_ENCRYPTION_KEYS = instance_secret(
                "token_key", lambda: Fernet.generate_key().decode()
            )
        if not cls.PRIVACY_HASH_KEYS:
            cls.PRIVACY_HASH_KEYS = instance_secret("privacy_key", lambda: secrets.token_hex(32))
        check_secrets(cls.SECRET_KEY, cls.TOKEN_ENCRYPTION_KEYS)


class TestConfig(Config):
    ENV_NAME = "testing"
    DEVELOPMENT = False
    TESTING = True
    SECRET_KEY = "test-secret-key-of-at-least-32-bytes"
    # A scrypt hash costs ~0.1 s; the suite hashes thousands of passwords. The scrypt default
    # is tested on its own (tests/test_cli.py).
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
    TOKEN_ENCRYPTION_KEYS = Fernet.generate_key().decode()
    PRIVACY_HASH_KEYS = "test-privacy-hash-key-of-32-bytes-or-more"
    SQLALCHEMY_DATABASE_URI = env_str("TEST_DATABASE_URL") or (
        f"sqlite:///{Path(tempfile.mkdtemp(prefix='mld-test-')) / 'test.sqlite'}"
    )
    WTF_CSRF_ENABLED = False
    SCHEDULER_ENABLED = False
    WEBHOOK_WORKER = False  # tests process webhook events explicitly
    META_SANDBOX = False
    BACKUP_DIR = str(Path(tempfile.mkdtemp(prefix="mld-backups-")))
    BACKUP_ENCRYPTION_KEY = ""
    EXPORT_DIR = str(Path(tempfile.mkdtemp(prefix="mld-exports-")))
    META_HTTP_TIMEOUT = 5.0
    META_RETRY_BACKOFF_S = 0.01
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_SUPPRESS_SEND = True
    MAIL_WORKER = False  # tests send the outbox explicitly
    MAIL_TIMEOUT = 2.0
    # Existing tests assert English text; the language tests ask for tr and ar explicitly.
    DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_LOCALE = "en"
