"""Xiaobao settings: one file, read from the environment, SQLite unless DATABASE_URL says otherwise."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from xiaobao.lib.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("XIAOBAO_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The public development key and keys derived from it are allowed only with DEBUG=1 or this
# explicit switch (off by default; the test runner turns it on for its throw-away databases).
ALLOW_INSECURE_KEY = DEBUG or env_bool("XIAOBAO_ALLOW_INSECURE_KEY", False)
DEVELOPMENT_SECRET_KEY = "django-insecure-xiaobao-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY")
if not ALLOW_INSECURE_KEY and (len(SECRET_KEY) < 32 or SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG=0: set SECRET_KEY (or SECRET_KEY_FILE) to a random "
        "string of at least 32 characters, e.g. python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'"
    )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "xiaobao.lib.admin_site.XiaobaoAdminConfig",
    "xiaobao.lib",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "xiaobao.organisation",
    "xiaobao.audit",
    "xiaobao.evidence",
    "xiaobao.jobs",
    "xiaobao.privacy",
    "xiaobao.complaints",
    "xiaobao.plans",
    "xiaobao.governance",
    "xiaobao.outreach",
    "xiaobao.intake",
    "xiaobao.language",
    "xiaobao.watch",
    "xiaobao.reports",
    "xiaobao.api",
    "xiaobao.portal",
    "xiaobao.inspections",  # inspections
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "axes",
    "xiaobao.front",
    "xiaobao.products",  # products
    "xiaobao.training",  # training
    # After products: partners puts its agreements to products' pre-review.  # partners
    "xiaobao.partners",  # partners
    # Last: it scores the figures of every other app, and its demo reads their demo data.
    "xiaobao.assessment",  # assessment
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "xiaobao.lib.middleware.NoStoreMiddleware",
    "xiaobao.lib.middleware.StampsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xiaobao.urls"
WSGI_APPLICATION = "xiaobao.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "xiaobao" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "xiaobao.watch.context_processors.inbox",
            ],
        },
    },
]


def _postgres_options(database: dict[str, Any]) -> None:
    """Connections a long-lived server keeps: a pool in each process (no connection is opened
    or recycled inside a request) and server-side binding, so a statement run again on the same
    connection is prepared once and its plan reused instead of planned afresh. Behind pgbouncer
    in transaction mode: DB_POOL=0, and DB_PREPARE_THRESHOLD=0 unless pgbouncer >= 1.21 has
    max_prepared_statements set (PRODUCTION.md)."""
    # Django's backend, whose pooled connections plan the preloading master's statements before
    # their first request (xiaobao.lib.warm).
    database["ENGINE"] = "xiaobao.lib.postgresql"
    options = database.setdefault("OPTIONS", {})
    if env_bool("DB_POOL", True):
        # Django refuses a pool together with persistent connections; the pool checks and
        # replaces its connections itself, outside requests.
        database["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 8),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
    else:
        database["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 600)
        database["CONN_HEALTH_CHECKS"] = True  # a connection pgbouncer closed is replaced
    options["server_side_binding"] = env_bool("DB_SERVER_SIDE_BINDING", True)
    threshold = env_int("DB_PREPARE_THRESHOLD", 2)
    # psycopg prepares only with server-side binding; 0 turns preparing off.
    options["prepare_threshold"] = threshold if threshold > 0 else None
    # A prepared statement run five times may switch to a generic plan, blind to its
    # parameters: at 1,000,000 cases the registry's overdue, channel and major filters then took
    # 8–14 s instead of 0.1–0.3 s (a partial index cannot match a parameter). Plan each run for its
    # values; preparing still saves the parse. Behind pgbouncer, which refuses startup options:
    # DB_PLAN_CACHE_MODE= and `ALTER ROLE … SET plan_cache_mode = force_custom_plan` instead.
    plan_cache_mode = env_str("DB_PLAN_CACHE_MODE", "force_custom_plan")
    if plan_cache_mode:
        options["options"] = f"-c plan_cache_mode={plan_cache_mode}"


DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _default: dict[str, Any] = dict(
        dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    )
    if _default["ENGINE"] == "django.db.backends.postgresql":
        _postgres_options(_default)
    DATABASES = {"default": _default}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "xiaobao.sqlite3")),
            "OPTIONS": {
                # WAL lets the sweeper and the web process work side by side.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache: what must hold across web processes (portal rate limits, one-time lookup
# tokens) lives here. The database (table created by `migrate`) unless XIAOBAO_CACHE_URL names
# Redis (redis://…); never the per-process memory cache, which each process would count alone.
XIAOBAO_CACHE_URL = env_str("XIAOBAO_CACHE_URL", "")
if XIAOBAO_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": XIAOBAO_CACHE_URL,
        }
    }
elif XIAOBAO_CACHE_URL:
    raise ImproperlyConfigured("XIAOBAO_CACHE_URL must be a redis:// URL (or unset: the database)")
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "xiaobao_cache",
        }
    }

# Personal-data encryption: "kid:base64url-32-bytes,…" (first = active) and the blind-index key.
# They are separate from SECRET_KEY: a leaked web secret must not open the personal data. Only
# development (DEBUG=1 or XIAOBAO_ALLOW_INSECURE_KEY=1) derives them from SECRET_KEY.
XIAOBAO_PI_KEYS = env_str("XIAOBAO_PI_KEYS", "")
XIAOBAO_PI_HMAC_KEY = env_str("XIAOBAO_PI_HMAC_KEY", "")
_missing_pi = [
    name
    for name, value in (
        ("XIAOBAO_PI_KEYS", XIAOBAO_PI_KEYS),
        ("XIAOBAO_PI_HMAC_KEY", XIAOBAO_PI_HMAC_KEY),
    )
    if not value.strip()
]
if _missing_pi and not ALLOW_INSECURE_KEY:
    raise ImproperlyConfigured(
        f"{' and '.join(_missing_pi)} must be set when DEBUG=0 (personal-data keys, separate "
        "from SECRET_KEY; generate one with python -c 'from xiaobao.privacy.crypto import "
        "generate_key; print(generate_key())')"
    )

AUTH_USER_MODEL = "organisation.User"
# Login throttling (django-axes): per account and, separately, per address; attempts live in the
# database, so every web process counts the same failures. A lockout ends after the cool-off or
# when an administrator deletes the attempt in the admin (访问尝试) or runs `axes_reset`.
AUTHENTICATION_BACKENDS = [
    "xiaobao.front.auth.LockoutBackend",
    "xiaobao.organisation.backends.CachedModelBackend",
]
AXES_FAILURE_LIMIT = env_int("XIAOBAO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("XIAOBAO_LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "front/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Behind the reverse proxy the client's address is the first X-Forwarded-For entry.
    AXES_IPWARE_PROXY_COUNT = env_int("XIAOBAO_PROXY_COUNT", 1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
LOGIN_URL = "front:login"
LOGIN_REDIRECT_URL = "front:home"
LOGOUT_REDIRECT_URL = "front:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# Attachments go to S3-compatible object storage when a bucket is configured (needs the "s3"
# extra: pip install -e .[s3]); local disk under MEDIA_ROOT otherwise.
if env_str("XIAOBAO_S3_BUCKET"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("XIAOBAO_S3_BUCKET"),
            "endpoint_url": env_str("XIAOBAO_S3_ENDPOINT") or None,
            "access_key": env_str("XIAOBAO_S3_ACCESS_KEY"),
            "secret_key": env_str("XIAOBAO_S3_SECRET_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
        },
    }
XIAOBAO_ATTACHMENT_MAX_BYTES = env_int("XIAOBAO_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
# Decisions and notices may be recorded for a moment up to this many days before their entry.
XIAOBAO_BACKDATE_DAYS = env_int("XIAOBAO_BACKDATE_DAYS", 7)
# 待回访: every major and every dissatisfied case is called back, and this share of the rest.
XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT = env_int("XIAOBAO_FOLLOW_UP_SAMPLE_PERCENT", 20)
# Imports (xiaobao.intake): upload size, unpacked size and ratio of an XLSX archive, rows, and
# how long an abandoned upload may stay on disk before the sweep removes it.
XIAOBAO_IMPORT = {
    "MAX_BYTES": env_int("XIAOBAO_IMPORT_MAX_BYTES", 50 * 1024 * 1024),
    "MAX_UNPACKED_BYTES": env_int("XIAOBAO_IMPORT_MAX_UNPACKED_BYTES", 200 * 1024 * 1024),
    "MAX_RATIO": 100,
    "MAX_ROWS": env_int("XIAOBAO_IMPORT_MAX_ROWS", 200_000),
    "KEEP_UPLOAD_HOURS": env_int("XIAOBAO_IMPORT_KEEP_UPLOAD_HOURS", 24),
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Security: strict by default; only the development server relaxes the HTTPS-only parts.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS >= 31536000)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from this site or inline with the per-request
# nonce; inline style attributes stay allowed (layout only, no script can run from them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
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
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "xiaobao@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Background work: "database" (the Job table, run by `manage.py run_jobs`) or "celery" (Redis).
XIAOBAO_QUEUE = env_str("XIAOBAO_QUEUE", "database")
# How many complaints `seed_demo` builds (a year of the demo bank's registry).
XIAOBAO_DEMO_CASES = env_int("XIAOBAO_DEMO_CASES", 420)
CELERY_BROKER_URL = env_str("XIAOBAO_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = env_bool("XIAOBAO_CELERY_EAGER", False)
# Dashboards read whole past months from the monthly rollups (xiaobao.reports.rollups); 0 reads
# every figure live from the facts (the same figures, slower at scale).
STATISTICS_ROLLUPS = env_bool("STATISTICS_ROLLUPS", True)

# --- REST API (owned by xiaobao.api) ---------------------------------------------------------
REST_FRAMEWORK = {
    # Integrations send `Authorization: Bearer <token>`; staff use the browsable API with a session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "xiaobao.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "xiaobao.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xiaobao 消保 API",
    "DESCRIPTION": (
        "投诉登记、台账查询与办理的开放接口。所有数据按令牌所属员工的机构范围返回；"
        "个人信息一律脱敏，查看完整信息须调用 reveal 接口并说明理由。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "NoticeMethodEnum": "xiaobao.complaints.choices.NoticeMethod",
        "ComplainantRoleEnum": "xiaobao.complaints.choices.ComplainantRole",
        "CampaignKindEnum": "xiaobao.outreach.choices.CampaignKind",
        "ProductGradeEnum": "xiaobao.products.choices.Grade",  # products
        "RiskClassEnum": "xiaobao.products.choices.RiskClass",  # products
        "ProductKindEnum": "xiaobao.products.choices.ProductKind",  # products
        "OpinionKindEnum": "xiaobao.products.choices.OpinionKind",  # products
        "QuestionKindEnum": "xiaobao.training.choices.QuestionKind",  # training
        "QualificationKindEnum": "xiaobao.training.choices.QualificationKind",  # training
        "SessionModeEnum": "xiaobao.training.choices.SessionMode",  # training
        "ContestModeEnum": "xiaobao.training.choices.ContestMode",  # training
        # Choice sets several apps name alike ("kind", "severity", "decision").
        "InspectionAppealDecisionEnum": "xiaobao.inspections.choices.AppealDecision",
        "EscalationDecisionEnum": "xiaobao.products.choices.Decision",
        "SchemeKindEnum": "xiaobao.assessment.choices.SchemeKind",
        "IndicatorKindEnum": "xiaobao.assessment.choices.IndicatorKind",
        "UnitKindEnum": "xiaobao.organisation.choices.UnitKind",
        "VisitKindEnum": "xiaobao.inspections.choices.VisitKind",
        "InspectionSeverityEnum": "xiaobao.inspections.choices.Severity",
        "OpinionSeverityEnum": "xiaobao.products.choices.Severity",
        "PartnerLinkRoleEnum": "xiaobao.partners.choices.LinkRole",  # partners
        "AdmissionDecisionEnum": "xiaobao.partners.choices.AdmissionDecision",  # partners
        "EvaluationResultEnum": "xiaobao.partners.choices.EvaluationResult",  # partners
    },
}
# Webhooks: seconds to wait for a subscriber, and how many attempts before giving up.
XIAOBAO_WEBHOOK_TIMEOUT = env_int("XIAOBAO_WEBHOOK_TIMEOUT", 10)
XIAOBAO_WEBHOOK_MAX_ATTEMPTS = env_int("XIAOBAO_WEBHOOK_MAX_ATTEMPTS", 8)
# Webhooks go to public addresses only; hosts listed here (e.g. an internal receiver) are exempt.
XIAOBAO_WEBHOOK_ALLOWED_HOSTS = env_list("XIAOBAO_WEBHOOK_ALLOWED_HOSTS", [])
# API tokens expire: the default and the longest validity a token may be issued with (days).
XIAOBAO_API_TOKEN_DAYS = env_int("XIAOBAO_API_TOKEN_DAYS", 90)
XIAOBAO_API_TOKEN_MAX_DAYS = env_int("XIAOBAO_API_TOKEN_MAX_DAYS", 366)
# --- end of REST API block -------------------------------------------------------------------
