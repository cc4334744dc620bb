"""Django settings: safe defaults, everything overridable from the environment.

A fresh checkout runs with no configuration: SQLite under ``WENGANG_DATA_DIR`` (default ``./var``)
and a secret key generated once into that directory. Production sets ``WENGANG_SECRET_KEY``,
``DATABASE_URL`` and ``WENGANG_DEBUG=0``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("WENGANG_DATA_DIR", "var")).resolve()
DEBUG = os.environ.get("WENGANG_DEBUG", "1") == "1"


def _secret_key() -> str:
    """Read the key from the environment; in development keep a generated one in the data dir.

    Never a key written in the source: a leaked repository must not sign anyone's session.
    """
    if key := os.environ.get("WENGANG_SECRET_KEY"):
        return key
    if not DEBUG:
        raise RuntimeError("WENGANG_SECRET_KEY must be set when WENGANG_DEBUG=0")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("WENGANG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "wengang.accounts",
    "wengang.cases",
    "wengang.payments",
    "wengang.outreach",
    "django_tasks_db",
    "wengang.web",
    "wengang.oversight",
    "wengang.stats",
    "wengang.api",
    "wengang.zones",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wengang.web.middleware.ChineseFirstMiddleware",  # Chinese unless the user chose English
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wengang.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "wengang.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'wengang.sqlite3'}"),
        conn_max_age=60,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# ModelBackend, with the signed-in user kept in the shared cache (a save renews it at once).
AUTHENTICATION_BACKENDS = ["wengang.accounts.backends.CachedUserBackend"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# --- web security (issue 7) -----------------------------------------------------------------
# A strict Content-Security-Policy: only our own files run; no inline script or style (a page
# that truly needs one uses the nonce), no plugins, no framing, forms post only to us.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page, never from the cookie
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
# Idle timeout: a session lives 30 minutes after the last request (renewed on each one).
SESSION_COOKIE_AGE = int(os.environ.get("WENGANG_SESSION_IDLE_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Behind HTTPS (production): secure cookies, redirect plain HTTP, tell browsers to stay on HTTPS.
if os.environ.get("WENGANG_HTTPS", "0" if DEBUG else "1") == "1":
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login codes go to this HTTP gateway; without one, a development machine keeps them in the
# outbox table (``wengang manage sms_outbox``) and production refuses to send.
WENGANG_SMS_URL = os.environ.get("WENGANG_SMS_URL", "")
WENGANG_SMS_OUTBOX = DEBUG

# Background work (outreach sending): the database queue, run by `wengang manage task_worker`
# (web/worker.py); WENGANG_TASKS_BACKEND=django.tasks.backends.immediate.ImmediateBackend runs
# tasks inside the request instead (no worker).
TASKS = {"default": {"BACKEND": os.environ.get("WENGANG_TASKS_BACKEND",
                                               "django_tasks_db.DatabaseBackend")}}

# --- two-zone deployment (issue 10; docs/two-zone.md) ---------------------------------------
# single: one instance does everything; internet: portal and public pages only, submissions go
# to the intranet as signed files; intranet: everything else. The spool holds out/ (written by
# `wengang zones export`) and in/ (read by `wengang zones import`); keys: WENGANG_ZONE_KEY.
WENGANG_ZONE = os.environ.get("WENGANG_ZONE", "single")
if WENGANG_ZONE not in ("single", "internet", "intranet"):
    raise RuntimeError(f"WENGANG_ZONE 须为 single、internet 或 intranet，而不是 {WENGANG_ZONE!r} / "
                       f"WENGANG_ZONE must be single, internet or intranet, not {WENGANG_ZONE!r}")
WENGANG_ZONE_SPOOL = Path(os.environ.get("WENGANG_ZONE_SPOOL", DATA_DIR / "zones")).resolve()

# Feed snapshots and screening results live beside the database, content-addressed.
WENGANG_SNAPSHOT_DIR = DATA_DIR / "snapshots"
# Bank files of exported payment batches (CSV and pain.001), written by the console's export.
WENGANG_BANK_FILE_DIR = DATA_DIR / "bankfiles"

# --- production serving (issue 10; docs/deployment.md) ---------------------------------------
# Production (WENGANG_DEBUG=0) names its database: a forgotten DATABASE_URL must not quietly
# start an empty SQLite file beside the code.
if not DEBUG and not os.environ.get("DATABASE_URL"):
    raise RuntimeError("生产环境须设置 DATABASE_URL / DATABASE_URL must be set when WENGANG_DEBUG=0")
_AFTER_SECURITY = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
# A lost database connection (a restart, the network) answers 503 + Retry-After, not 500.
MIDDLEWARE.insert(_AFTER_SECURITY, "wengang.web.outage.DatabaseOutageMiddleware")
# … and on the way out, when the session (saved on every request) cannot be saved.
MIDDLEWARE[MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")] = (
    "wengang.web.outage.SessionMiddleware")
if not DEBUG:
    # Static files straight from the app server, hashed names cached for a year and
    # pre-compressed (gzip, and brotli where installed): one box needs no separate web server
    # for them. (In development runserver serves them from the apps.)
    MIDDLEWARE.insert(_AFTER_SECURITY, "whitenoise.middleware.WhiteNoiseMiddleware")
    # Errors to stderr (the service's journal): Django's default mails them to ADMINS only.
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": os.environ.get("WENGANG_LOG_LEVEL", "WARNING")},
    }
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # Source maps (megabytes, in the API docs' bundles) are fetched only by developer tools:
    # not worth compressing at every release.
    from whitenoise.compress import Compressor
    WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# A shared cache (Redis) for sessions and cached counts: WENGANG_REDIS_URL=redis://host:6379/0.
# Sessions then cost one Redis round trip per request instead of a read and a write
# transaction in PostgreSQL (the session is renewed on every request: the idle timeout).
# Logging out still ends a session at once; a Redis restart logs everyone out.
if WENGANG_REDIS_URL := os.environ.get("WENGANG_REDIS_URL", ""):
    CACHES = {"default": {"BACKEND": "wengang.web.redis_cache.RedisCache",
                          "LOCATION": WENGANG_REDIS_URL, "KEY_PREFIX": "wengang"}}
    SESSION_ENGINE = "wengang.web.sessions"  # Django's cache sessions, renewed by one EXPIRE
# What every process must see change at once (the signed-in user, the letter in force) is kept
# in the cache only when one cache serves all processes (``wengang.shared_cache``).
WENGANG_CACHE_SHARED = bool(WENGANG_REDIS_URL)
# PostgreSQL connections: WENGANG_DB_POOL=N gives each worker process a psycopg pool of up to N
# connections (for threaded workers); 0 keeps one persistent connection per process
# (CONN_MAX_AGE above), which is what a sync worker serving one request at a time needs.
WENGANG_DB_POOL = int(os.environ.get("WENGANG_DB_POOL", "0"))
if WENGANG_DB_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": WENGANG_DB_POOL, "timeout": 10}

# Optional single sign-on for staff (OpenID Connect, e.g. a government SSO), on when a client
# id is set. It never creates accounts: it logs in the existing, active staff user whose
# username is the provider's claim (WENGANG_OIDC_USERNAME_CLAIM), in place of password + TOTP —
# the provider answers for the second factor. See docs/web.md.
WENGANG_OIDC = bool(os.environ.get("WENGANG_OIDC_CLIENT_ID"))
WENGANG_OIDC_USERNAME_CLAIM = os.environ.get("WENGANG_OIDC_USERNAME_CLAIM", "preferred_username")
if WENGANG_OIDC:
    def _oidc(name: str) -> str:
        value = os.environ.get(name, "")
        if not value:
            from django.core.exceptions import ImproperlyConfigured
            raise ImproperlyConfigured(f"{name} must be set when WENGANG_OIDC_CLIENT_ID is "
                                       f"(单点登录已启用，须设置 {name})")
        return value

    OIDC_RP_CLIENT_ID = os.environ["WENGANG_OIDC_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = _oidc("WENGANG_OIDC_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc("WENGANG_OIDC_AUTHORIZATION_URL")
    OIDC_OP_TOKEN_ENDPOINT = _oidc("WENGANG_OIDC_TOKEN_URL")
    OIDC_OP_USER_ENDPOINT = _oidc("WENGANG_OIDC_USERINFO_URL")
    OIDC_RP_SIGN_ALGO = os.environ.get("WENGANG_OIDC_SIGN_ALGO", "RS256")
    OIDC_OP_JWKS_ENDPOINT = (_oidc("WENGANG_OIDC_JWKS_URL") if OIDC_RP_SIGN_ALGO[:2] in ("RS", "ES")
                             else None)
    OIDC_RP_SCOPES = "openid profile"
    OIDC_CREATE_USER = False
    OIDC_USE_PKCE = True
    OIDC_AUTHENTICATION_CALLBACK_URL = "web:staff-sso-callback"
    LOGIN_REDIRECT_URL_FAILURE = "/console/login/?sso=failed"
    AUTHENTICATION_BACKENDS = ["wengang.accounts.backends.CachedUserBackend",
                               "wengang.accounts.oidc.StaffOIDCBackend"]
