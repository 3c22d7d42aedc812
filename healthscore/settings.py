"""Healthscore settings: everything comes from the environment, with safe local defaults.

Without DATABASE_URL the app uses a SQLite file; without REDIS_URL Celery runs tasks
in-process and the cache is local memory, so `make run` needs no services.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from api.rates import env_rate
from healthscore.env import (
    env_bool,
    env_choice,
    env_database,
    env_int,
    env_list,
    env_log_level,
    env_redis_url,
    env_str,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
# The local demo (`make run`): the development defaults below, without DEBUG, so that it shows
# the app's own 404 and 500 pages instead of Django's debug pages (which list every URL pattern,
# and on an error the code and the settings).
DEMO = env_bool("DEMO", default=False)
LOCAL = DEBUG or DEMO  # on this machine only: no HTTPS, a development key, files from source
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not LOCAL:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG or DEMO is on.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG / DEMO only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if not DEBUG else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "csp",
    "axes",
    # The apps, bottom layer first (the import contract in pyproject.toml keeps this order).
    "accounts",
    "audit",
    "jobs",
    "surveys",
    "signals",
    "scoring",
    "workspace",
    "reports",
    "api",
    "demo",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware: the language from the cookie set by the
    # switcher, else the browser's Accept-Language; the user's own choice wins further down.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "healthscore.language.UserLanguageMiddleware",  # the user's profile language, once known
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: turns a locked-out login into the lock-out page (healthscore/login.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "healthscore.urls"
WSGI_APPLICATION = "healthscore.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite keeps no pooled connections and needs time to wait for the writer lock.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: the interface in these; a user's own choice (profile or header switcher), else
# the browser's; survey e-mails and pages in the contact's, else the account's, else the
# install's LANGUAGE_CODE. Dates and numbers follow Django's formats for the language.
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("fr", "Français"),
    ("lv", "Latviešu"),
    ("bg", "Български"),
]
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", [code for code, _ in LANGUAGES])
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Off: a bare {{ n }} in an attribute (an option's id, a data- key) must stay plain digits.
# Figures that people read are grouped explicitly (|intcomma, |number, |money; accounts.formats).
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["healthscore.formats"]
LANGUAGE_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not LOCAL)
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_timezone("TIME_ZONE", "UTC")
USE_TZ = True
# The install's currency, shown on MRR, ARR and amounts (workspace/templatetags/health.py `money`).
CURRENCY_CODE = env_str("CURRENCY_CODE", "USD").strip().upper()
if not (len(CURRENCY_CODE) == 3 and CURRENCY_CODE.isalpha() and CURRENCY_CODE.isascii()):
    raise ImproperlyConfigured(
        f"CURRENCY_CODE={CURRENCY_CODE!r} is not an ISO 4217 code such as EUR."
    )
CURRENCY_SYMBOL = env_str("CURRENCY_SYMBOL", "$" if CURRENCY_CODE == "USD" else CURRENCY_CODE)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js is served from static/vendor/plotly: the basic bundle (scatter, bar and pie, all
# the pages draw; 1.2 MB against the full bundle's 4.8 MB) of the version the plotly package
# ships (tests/reports/test_charts.py checks both). Charts work offline, no CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves hashed, compressed files built by collectstatic (the test suite switches
# to the plain storage in tests/conftest.py, as it never runs collectstatic).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if LOCAL
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Locally, WhiteNoise serves the files straight from their folders (no collectstatic).
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = LOCAL
# Largest file the CSV import page takes, and largest API request body. Django applies it to
# bodies only; signals/uploads.py applies it to files, while they are being received.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Files bigger than the page limit are imported in the background, up to this size; the
# upload streams to a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE), then to IMPORT_DIR, where
# the worker reads it (a volume both the web and the worker see).
IMPORT_FILE_MAX_SIZE = env_int("IMPORT_FILE_MAX_SIZE", 1024 * 1024 * 1024, minimum=1024)
IMPORT_DIR = Path(env_str("IMPORT_DIR", str(BASE_DIR / "media" / "imports")))
FILE_UPLOAD_HANDLERS = [
    "signals.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Segment-style tracking events (api/tracking.py): which property names the account when the
# event has no context.groupId, which numeric property is the value (empty: each event counts
# 1), and how long a messageId is remembered so that a client's retry is not counted twice.
TRACK_ACCOUNT_PROPERTY = env_str("TRACK_ACCOUNT_PROPERTY", "account_id")
TRACK_VALUE_PROPERTY = env_str("TRACK_VALUE_PROPERTY", "")
TRACK_DEDUP_DAYS = env_int("TRACK_DEDUP_DAYS", 7, minimum=1)

# E-mail: printed on the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "healthscore@localhost")

# Redis: Celery broker and cache. Absent, tasks run in-process and the cache is in memory.
REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "healthscore.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Fail fast: a page must not hang on a cache that is down.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are read from the cache, the database their lasting copy (a query saved on every
# page; with Redis down, the database answers alone).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Results are stored for the workers' own use (the chord of the nightly recompute). The web
# never reads one: jobs/queueing.py sends with ignore_result, so that publishing never
# touches the result store (whose reconnect loop held a request for 19 s with Redis down).
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# With Redis down, give up publishing within about 2 s: the work is kept in the database
# instead (jobs/queueing.py) and sent when Redis is back. One retry, at once, covers a
# connection that Redis closed while it sat in the pool.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task taken by a worker that then died is handed out again after this many seconds.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=5),
    # Without these a connect to a host that drops packets, or a command to a Redis that
    # accepted the connection but hangs, waits for the operating system's timeouts (minutes).
    # socket_timeout stays above the workers' 1 s BRPOP.
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The soft limit is a minute earlier, so the hard limit must leave room for it.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=120)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The nightly recompute lives in django-celery-beat's tables (a data migration creates it at
# this hour), so admins can change its time in the admin and the change survives restarts.
NIGHTLY_RECOMPUTE_HOUR = env_int("NIGHTLY_RECOMPUTE_HOUR", 2, minimum=0, maximum=23)

REST_FRAMEWORK = {
    # Tokens for machines (personal or ingest-only, see accounts/tokens.py), the session for the
    # browser. The token class comes first so that a request without credentials gets a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",  # a deeply nested body is a 400, not a 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    # Requests per token (per user for a browser session); ingest tokens have their own rate.
    "DEFAULT_THROTTLE_RATES": {
        "user": env_rate("API_THROTTLE_RATE", "1200/minute"),
        "ingest": env_rate("API_INGEST_THROTTLE_RATE", "600/minute"),
        # Tracking calls carry up to 2,500 events: 6,000 a minute is up to 250,000 events/s.
        "track": env_rate("API_TRACK_THROTTLE_RATE", "6000/minute"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Healthscore API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and the docs are for signed-in users and tokens only, like every other page.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags by resource: accounts, usage, health, ...
}

# Logs: one JSON object per line in production (for a log collector), plain text locally.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if LOCAL else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "filters": {"forbidden_one_line": {"()": "healthscore.logs.ForbiddenOneLine"}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (with DEBUG) would print each record a second time
        # beside the root's: Django's records go to the root handler only.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["forbidden_one_line"]},
    },
}

# Security. Production defaults; `make run` (DEMO) and `make serve` (plain HTTP on
# 127.0.0.1) turn off what needs HTTPS. Behind a TLS proxy, set BEHIND_PROXY=true.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not LOCAL)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not LOCAL)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if LOCAL else 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages load scripts only from this site (charts draw from static/js, no inline scripts);
# plotly sets inline styles on the charts it draws, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Password guessing (healthscore/login.py, django-axes, counted in the database): this many
# failed logins for one username from one address lock that pair out for LOGIN_LOCKOUT_SECONDS;
# LOGIN_MAX_FAILURES_PER_ADDRESS failures from one address, whatever the usernames, lock the
# address out.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
AXES_HANDLER = "healthscore.login.LoginAttempts"
AXES_FAILURE_LIMIT = LOGIN_MAX_FAILURES
# The order matters to LoginAttempts: the pair first, then the address alone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_USERNAME_CALLABLE = "healthscore.login.login_username"
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_LOCKOUT_SECONDS)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "healthscore.login.lockout_response"
# The client's address: REMOTE_ADDR, or with BEHIND_PROXY the one the proxy appended to
# X-Forwarded-For (else every client would share the proxy's address, and its lock-outs).
AXES_CLIENT_IP_CALLABLE = "healthscore.login.client_address"
# Successful logins are not logged (users' last_login is kept); failures are what matter.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner on every start of every command

# Healthscore's own knobs.
HEALTHSCORE_COMPANY_NAME = env_str("HEALTHSCORE_COMPANY_NAME", "Healthscore")
HEALTHSCORE_RECOMPUTE_CHUNK = env_int("HEALTHSCORE_RECOMPUTE_CHUNK", 5000, minimum=1)
# Days a backfill scores per pass over the facts (more: faster, and more held in memory).
HEALTHSCORE_BACKFILL_BLOCK_DAYS = env_int("HEALTHSCORE_BACKFILL_BLOCK_DAYS", 10, minimum=1)
# Days of snapshot history kept (0: all); older snapshots are pruned daily.
HEALTHSCORE_HISTORY_DAYS = env_int("HEALTHSCORE_HISTORY_DAYS", 1095, minimum=0)
# A check-in task reason closed less than this many days ago does not reopen.
HEALTHSCORE_TASK_COOLDOWN_DAYS = env_int("HEALTHSCORE_TASK_COOLDOWN_DAYS", 14, minimum=0)
# Surveys. Personal links in survey e-mails start with this address (no trailing slash).
HEALTHSCORE_BASE_URL = env_str("HEALTHSCORE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not HEALTHSCORE_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("HEALTHSCORE_BASE_URL must start with http:// or https://.")
# A survey link works once, for this many days.
HEALTHSCORE_SURVEY_LINK_DAYS = env_int("HEALTHSCORE_SURVEY_LINK_DAYS", 14, minimum=1)
# No contact gets more than one survey (of any kind) within this many days.
HEALTHSCORE_SURVEY_QUIET_DAYS = env_int("HEALTHSCORE_SURVEY_QUIET_DAYS", 30, minimum=0)
# Each contact of an active account gets the periodic NPS survey this often.
HEALTHSCORE_NPS_INTERVAL_DAYS = env_int("HEALTHSCORE_NPS_INTERVAL_DAYS", 90, minimum=1)
# Resolved tickets, first subscriptions and churns older than this are not surveyed (so loading
# years of history does not e-mail everyone about it).
HEALTHSCORE_SURVEY_LOOKBACK_DAYS = env_int("HEALTHSCORE_SURVEY_LOOKBACK_DAYS", 7, minimum=1)
# At most this many periodic surveys per run: the first run after install spreads over hours.
HEALTHSCORE_SURVEY_MAX_PER_RUN = env_int("HEALTHSCORE_SURVEY_MAX_PER_RUN", 500, minimum=1)
