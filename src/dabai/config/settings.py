"""Settings for dabai, driven by the environment so one build runs everywhere.

Zero set-up by default (SQLite, database task queue, in-memory channel layer); PostgreSQL when
``DATABASE_URL`` is set and Redis (tasks and live events) when ``REDIS_URL`` is set.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DABAI_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no switch from the environment."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Development mode is switched on explicitly (`make run` and the tests do); anything else is production.
DABAI_DEV = env_bool("DABAI_DEV", False)
DEBUG = env_bool("DEBUG", False)
DEVELOPMENT_SECRET_KEY = "dabai-development-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DABAI_DEV and SECRET_KEY in {"", DEVELOPMENT_SECRET_KEY}:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set in the environment (a long random string) in production; "
        "for development only, set DABAI_DEV=1."
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "axes",
    "ninja",
    "dabai.core",
    "dabai.accounts",
    "dabai.customers",
    "dabai.conversations",
    "dabai.channels",
    "dabai.routing",
    "dabai.replies",
    "dabai.knowledge",
    "dabai.portal",
    "dabai.insights",
    "dabai.learning",
    "dabai.quality",
    "dabai.webhooks",
    "dabai.api",
    "dabai.desk",
    "dabai.followups",
    "dabai.surveys",
    "dabai.programs",
    "dabai.listening",
    "dabai.outreach",
    "dabai.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the sign-in page with a clear message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dabai.config.urls"
WSGI_APPLICATION = "dabai.config.wsgi.application"
ASGI_APPLICATION = "dabai.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dabai.core.context_processors.live",
                "dabai.site.context_processors.navigation",
            ],
        },
    }
]

# Under ASGI each request may run on a new thread, so persistent connections would pile up: PostgreSQL gets
# a connection pool instead (psycopg_pool), SQLite opens a connection per request (cheap).
DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{VAR_DIR / 'dabai.sqlite3'}", conn_max_age=0),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX", "20")),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while the web process reads; the timeout rides out short write locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "site:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Sign-in throttling (django-axes): the throttle backend comes first and only refuses locked-out sign-ins.
AUTHENTICATION_BACKENDS = [
    "dabai.accounts.backends.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DABAI_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DABAI_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one over the limit locks
AXES_LOCKOUT_CALLABLE = "dabai.accounts.views.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# A success never clears failures: it would let anyone with an account reset the count from their address.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins need no second log; failures are kept (AccessAttempt)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
AXES_VERBOSE = False
# Wrong API tokens are counted here too, per token prefix and per address (``dabai.api.services``): after the
# limit the API answers 429 ``too_many_failures``.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Media is always served through permission-checked views (dabai.core.media); behind nginx, set this to an
# internal location (e.g. /protected-media/) and nginx sends the bytes after the check.
MEDIA_ACCEL_REDIRECT = os.environ.get("DABAI_MEDIA_ACCEL_REDIRECT", "")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health probes from the load balancer may use plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content Security Policy (django-csp): scripts and styles from our origin, inline ones only with the
# request's nonce ({{ request.csp_nonce }}), no inline event handlers, no eval. DABAI_CSP=report-only reports
# violations (to DABAI_CSP_REPORT_URI) without blocking; DABAI_CSP=off sends no policy.
DABAI_CSP = os.environ.get("DABAI_CSP", "enforce").strip().lower()
if DABAI_CSP not in {"enforce", "report-only", "off"}:
    raise ImproperlyConfigured("DABAI_CSP must be enforce, report-only or off.")
_csp_policy = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if os.environ.get("DABAI_CSP_REPORT_URI"):
    _csp_policy["DIRECTIVES"]["report-uri"] = [os.environ["DABAI_CSP_REPORT_URI"]]
if DABAI_CSP == "enforce":
    CONTENT_SECURITY_POLICY = _csp_policy
elif DABAI_CSP == "report-only":
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp_policy

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    from dabai.core.redispool import rq_queue

    RQ_QUEUES = {"default": rq_queue(REDIS_URL, DEFAULT_TIMEOUT=600)}  # one connection pool per process
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dabai@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

DABAI = {
    # How long without a worker heartbeat before /healthz reports the worker as down.
    "WORKER_STALE_AFTER_SECONDS": int(os.environ.get("DABAI_WORKER_STALE_AFTER", "120")),
    "HEARTBEAT_INTERVAL_SECONDS": int(os.environ.get("DABAI_HEARTBEAT_INTERVAL", "30")),
    "INBOX_PAGE_SIZE": 25,
    # Without Redis, live pages also poll this often to see what the worker process changed.
    "LIVE_POLL_SECONDS": int(os.environ.get("DABAI_LIVE_POLL_SECONDS", "15")),
}
