"""Settings for newborn-enroll: one file, every value read from the environment.

With no variable set this runs for development on an embedded SQLite file. ``NEWBORN_ENROLL_PRODUCTION=1``
switches production mode on; it then refuses to start with insecure values. docs/configuration.md lists
every variable.
"""

import base64
import hashlib
import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("NEWBORN_ENROLL_PRODUCTION")

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
# `make demo` (NEWBORN_DEMO=1) shows the app as its users see it: DEBUG off, so its own Chinese 404, 403
# and 500 pages instead of Django's debug pages, and WhiteNoise serving the static files from their
# sources (no collectstatic).
DEMO = env_bool("NEWBORN_DEMO")
DEBUG = env_bool("DEBUG", default=not PRODUCTION and not DEMO)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The audit log's key (registration/services/audit_chain.py): every entry's MAC and the seal chain. Kept
# out of the database, so that whoever can write the database cannot forge or rewrite entries unseen;
# separate from SECRET_KEY, which may be rotated. Changing it makes every earlier entry fail audit_verify:
# keep it like a signing key (docs/privacy.md, A tamper-evident audit log).
_DEV_AUDIT_CHAIN_KEY = "dev-only-audit-chain-key-do-not-use-in-production"
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY", "" if PRODUCTION else _DEV_AUDIT_CHAIN_KEY)

if PRODUCTION:
    # Production refuses to start rather than run with a value that would expose families' data.
    if not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters in production")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names in production")
    if len(AUDIT_CHAIN_KEY) < 32 or AUDIT_CHAIN_KEY in (_DEV_AUDIT_CHAIN_KEY, SECRET_KEY):
        raise ImproperlyConfigured(
            "AUDIT_CHAIN_KEY must be set to a random value of 32+ characters in production, other than "
            "SECRET_KEY: the audit log's entries are signed with it (docs/privacy.md)"
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "registration.axes_app.AxesConfig",  # django-axes, named in Chinese in the admin
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files: the docs load nothing online
    "registration",
    "cards",
]

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics answer before sessions, host checks or the HTTPS redirect,
    # and the request metrics time everything below.
    "newborn_enroll.health.HealthMiddleware",
    "registration.metrics.RequestMetricsMiddleware",
    # Before SecurityMiddleware's HTTPS redirect: X-Forwarded-Proto counts from a trusted proxy only.
    "registration.http.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their caching: every other answer is `no-store`, and every
    # page gets its Content-Security-Policy with a fresh nonce (docs/privacy.md, Headers).
    "registration.http.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # A login's idle expiry moves forward at most once a minute (registration/sessions.py).
    "registration.sessions.SessionIdleRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A password someone else chose (a one-time password, an administrator's reset) is changed first.
    "registration.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newborn_enroll.urls"
WSGI_APPLICATION = "newborn_enroll.wsgi.application"

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
                "csp.context_processors.nonce",
                "registration.context_processors.pending_work",
            ],
        },
    },
]

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))
# Where a node keeps the seal chain's last link as it saw it (audit_seal, audit_verify): outside the database.
AUDIT_ANCHOR_FILE = Path(env_str("AUDIT_ANCHOR_FILE", str(DATA_DIR / "audit-anchor.json")))


def database_from_url(url: str, **kwargs) -> dict:
    """dj-database-url's DATABASES entry, also for libpq's multi-host URL (host1:port1,host2:port2).

    dj-database-url cannot parse several hosts: the URL is parsed with the first one, then HOST and PORT
    become libpq's comma-separated lists, which Django passes on to psycopg as they are. With
    ?target_session_attrs=read-write (an OPTIONS entry) libpq connects to whichever host is the primary.
    """
    match = re.match(r"^(?P<head>[^:/]+://(?:[^@/]*@)?)(?P<hosts>[^/?#]*)(?P<tail>.*)$", url)
    if not match or "," not in match["hosts"]:
        return dj_database_url.parse(url, **kwargs)
    hosts, ports = [], []
    for part in match["hosts"].split(","):
        host, _, port = part.rpartition(":") if ":" in part and not part.endswith("]") else (part, "", "")
        if not host or (port and not port.isdigit()):
            raise ImproperlyConfigured(f"DATABASE_URL: cannot read the host {part!r} of its host list")
        hosts.append(host)
        ports.append(port or "5432")
    config = dj_database_url.parse(match["head"] + hosts[0] + match["tail"], **kwargs)
    config["HOST"] = ",".join(hosts)
    config["PORT"] = ",".join(ports)
    return config


_database_url = env_str("DATABASE_URL")
if _database_url:
    # CONN_HEALTH_CHECKS: a kept connection is tested before a request reuses it, so a PostgreSQL restart
    # or a standby's promotion costs no request: the next one reconnects (to the new primary, when
    # DATABASE_URL lists several hosts with target_session_attrs=read-write; docs/deployment.md).
    DATABASES = {
        "default": database_from_url(
            _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    # Behind a transaction pool (PgBouncer's pool_mode = transaction) a cursor declared WITH HOLD may be
    # fetched on another server connection: the exports' iterator() then reads without one
    # (docs/database-connections.md).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_DISABLE_SERVER_SIDE_CURSORS")
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {
                # IMMEDIATE transactions take SQLite's single write lock up front, so concurrent
                # registrations queue instead of failing with "database is locked" at their first write.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's rule, with the message in Chinese (its 5.2 translation of this message is missing).
    {"NAME": "registration.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not blank, not only spaces, not a single class of characters (ten spaces, one letter repeated).
    {"NAME": "registration.password_validation.CharacterClassValidator"},
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; after AXES_IP_FAILURE_LIMIT failures from one
# address, whatever the usernames, the address is (registration.auth.LockoutHandler). A successful login
# clears that username's count at that address. Attempts are kept in the database, shared by every node, so
# each test (one transaction) starts with none. `manage.py axes_reset_username USERNAME` and `axes_reset_ip
# ADDRESS` lift a lock-out early (docs/privacy.md, Lock-out).
# Each session stores its backend's dotted path: moving these classes would log every clerk out.
AUTHENTICATION_BACKENDS = [
    "registration.auth.LockoutBackend",
    # Django's ModelBackend, reading the operator with the user (one query fewer on every request).
    "registration.auth.UserBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_IP_FAILURE_LIMIT = env_int("AXES_IP_FAILURE_LIMIT", 20)
if AXES_IP_FAILURE_LIMIT <= AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        f"AXES_IP_FAILURE_LIMIT ({AXES_IP_FAILURE_LIMIT}) must be above AXES_FAILURE_LIMIT "
        f"({AXES_FAILURE_LIMIT}): an address is shared by several users, each allowed "
        "AXES_FAILURE_LIMIT - 1 typos"
    )
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
AXES_HANDLER = "registration.auth.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "registration.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "registration.http.client_ip"  # the audit log's address, behind a proxy too
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "registration.auth.lockout_username"  # bounded: the login form is not
# No "AXES: BEGIN …" line at every start of a management command; lock-outs still log their WARNING.
AXES_VERBOSE = False
# A password someone else chose (a clerk's one-time password, an administrator's reset) must be replaced at
# the first login; left unchanged this many days, it no longer logs in (registration.services.passwords).
TEMPORARY_PASSWORD_DAYS = env_int("TEMPORARY_PASSWORD_DAYS", 7)
if TEMPORARY_PASSWORD_DAYS < 1:
    raise ImproperlyConfigured(f"TEMPORARY_PASSWORD_DAYS must be 1 or more, got {TEMPORARY_PASSWORD_DAYS}")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
# The project's catalog: Chinese for what the dependencies leave untranslated (django-axes' models).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# The pages of a screen without a Chinese font get the card's font as WOFF2, static/fonts/ (app.css); the
# card's TrueType files (cards/fonts/) are for the PDF only and are not served.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
if not PRODUCTION:
    # WhiteNoise warns on every request when this is missing; production fills it with collectstatic.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
if DEMO:
    WHITENOISE_USE_FINDERS = True
# Uploaded materials (household registers, birth records) are never served from a public URL: they
# live outside STATIC_ROOT and are streamed by an authorising view.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "newborn_enroll.staticfiles.CompressedStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Object storage (S3, MinIO, Ceph's RGW) instead of MEDIA_ROOT when NEWBORN_S3_BUCKET is set: every file
# the app keeps goes through default_storage, so every node of a cluster sees the same files. Objects are
# private (no public ACL, no public URL); the app streams them through its authorising views. Credentials:
# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, read by boto3 (or its other sources: a profile, a role).
S3_BUCKET = env_str("NEWBORN_S3_BUCKET")
# A store that is down or hung costs one clear error per request (registration/services/storage.py), never
# a worker for minutes: botocore's own defaults are 60 s to connect, 60 s per read and several retries.
S3_CONNECT_TIMEOUT = env_int("NEWBORN_S3_CONNECT_TIMEOUT", 3)
S3_READ_TIMEOUT = env_int("NEWBORN_S3_READ_TIMEOUT", 5)
S3_MAX_ATTEMPTS = env_int("NEWBORN_S3_MAX_ATTEMPTS", 2)  # every attempt, the first one included
if min(S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT, S3_MAX_ATTEMPTS) < 1:
    raise ImproperlyConfigured(
        "NEWBORN_S3_CONNECT_TIMEOUT, _READ_TIMEOUT and _MAX_ATTEMPTS must be 1 or more"
    )
if S3_BUCKET:
    from botocore.config import Config as BotocoreConfig

    S3_ADDRESSING_STYLE = env_str("NEWBORN_S3_ADDRESSING_STYLE") or None
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("NEWBORN_S3_ENDPOINT_URL") or None,
            "region_name": env_str("NEWBORN_S3_REGION") or None,
            # "path" for MinIO and most Ceph set-ups (bucket in the path, not in the host name).
            "addressing_style": S3_ADDRESSING_STYLE,
            "location": env_str("NEWBORN_S3_PREFIX"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "custom_domain": None,
            "file_overwrite": False,
            "signature_version": "s3v4",
            "verify": env_bool("NEWBORN_S3_VERIFY_TLS", True),
            # Given a client_config, django-storages takes the addressing style and the signature from it.
            "client_config": BotocoreConfig(
                s3={"addressing_style": S3_ADDRESSING_STYLE},
                signature_version="s3v4",
                connect_timeout=S3_CONNECT_TIMEOUT,
                read_timeout=S3_READ_TIMEOUT,
                retries={"max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"},
            ),
        },
    }
# /readyz's storage probe answers within this bound (503 past it), whatever the store does.
READYZ_STORAGE_TIMEOUT = env_int("NEWBORN_READYZ_STORAGE_TIMEOUT", 5)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Files in a storage directory (materials, kept uploads) readable by the application's account only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 30 * 1024 * 1024)
MATERIAL_MAX_BYTES = env_int("MATERIAL_MAX_BYTES", 10 * 1024 * 1024)
# The largest request the site accepts: a registration with each of its five scans at the limit, plus the
# form. nginx's client_max_body_size must say the same (deploy/nginx/newborn-enroll.conf; a test checks).
REQUEST_MAX_BYTES = 5 * MATERIAL_MAX_BYTES + 1024 * 1024
# Largest uploaded image in pixels: a 600 dpi A4 scan has 35 million, a 48-megapixel photo 48 million;
# more is a mistake or a decompression bomb (registration/services/materials.py).
MATERIAL_MAX_PIXELS = env_int("MATERIAL_MAX_PIXELS", 60_000_000)

LOGIN_URL = "login"
# A refused form (an old page, a login that expired meanwhile) gets a Chinese page saying what to do.
CSRF_FAILURE_VIEW = "registration.views.accounts.csrf_failure"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
# Idle time, not time since login: registration.sessions moves the expiry forward when the last move is
# SESSION_REFRESH_SECONDS old (a thirtieth of the age: a minute), so a login ends 29 to 30 minutes after
# its last request, and a page view that changes nothing else writes no session row.
SESSION_REFRESH_SECONDS = max(1, SESSION_COOKIE_AGE // 30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = False
# The browsers' HSTS preload list is for public sites: an intranet host name cannot be on it, so
# `check --deploy`'s advice to ask for preloading does not apply.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # no page is ever shown in a frame, not even our own


def _inline_style_hash(template: Path) -> str:
    """The CSP source of a template's one <style> block: templates/500.html is rendered without a request,
    so without a nonce, and must stay a page of its own (no static file: the server has failed)."""
    style = re.search(r"<style>(.*?)</style>", template.read_text(), re.S)
    digest = hashlib.sha256(style.group(1).encode()).digest() if style else b""
    return f"'sha256-{base64.b64encode(digest).decode()}'"


# No script or style but the app's own files and the page's nonce (docs/privacy.md, Headers). Bootstrap draws
# its icons as data: images; the API's docs pages (Swagger UI, ReDoc) add what they need on their views
# (registration/api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [
            csp_constants.SELF,
            csp_constants.NONCE,
            _inline_style_hash(BASE_DIR / "templates" / "500.html"),
        ],
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF, "data:"],
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}


def env_networks(name: str) -> tuple:
    """A comma-separated list of addresses and networks (10.0.0.5, 10.1.0.0/24, ::1) as ip_network objects."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network") from None
    return tuple(networks)


# The reverse proxies (nginx) in front of the app, by address: only a request whose socket comes from one of
# them may say who the client is (X-Forwarded-For) and that it came over HTTPS (X-Forwarded-Proto);
# registration.http.client_ip and ForwardedProtoMiddleware (docs/privacy.md, Client addresses and proxies).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
if env_str("TRUSTED_PROXY_COUNT"):
    # A count trusted whatever address the header came from: a client reaching a node directly could
    # write any address into the audit log and dodge the lock-outs. Refused rather than reinterpreted.
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is no longer read: list the addresses (or networks) of the reverse proxies in "
        "TRUSTED_PROXIES instead, e.g. TRUSTED_PROXIES=10.0.0.5,10.1.0.0/24 (docs/privacy.md)"
    )
if env_bool("BEHIND_PROXY") and not TRUSTED_PROXIES:
    raise ImproperlyConfigured(
        "BEHIND_PROXY=1 needs TRUSTED_PROXIES: the addresses (or networks) of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto the app may believe, e.g. TRUSTED_PROXIES=127.0.0.1 for nginx "
        "on the same machine (docs/privacy.md)"
    )
if TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The default cache is each process's own memory. "api", a database table every node shares (migration
# 0011), held the rate counts until they moved to BudgetCount (registration/services/budgets.py, counted
# atomically); nothing reads it now, and it stays for the shared cache it is.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "registration_api_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# The REST API for hospital systems and the 医保中心 (registration/api/, issue 16): Bearer keys only (no
# session, so no CSRF), a rate per client, JSON in UTF-8, dates as YYYY-MM-DD.
API_RATE = env_str("API_RATE", "600/min")
API_COVERAGE_RATE = env_str("API_COVERAGE_RATE", "60/min")
# The budgets of the lookups that consult other hospitals' records (registration/throttles.py, counted
# atomically in the database: docs/privacy.md, Budgets), per user or API client, per hospital and per
# client address. "lookup": the registration page's preview with an ID number and its submits,
# POST /api/v1/births. "coverage": the coverage check (/verify/, /api/v1/coverage), besides the per-minute
# API_COVERAGE_RATE.
LOOKUP_RATE_USER = env_str("LOOKUP_RATE_USER", "1500/d")
LOOKUP_RATE_HOSPITAL = env_str("LOOKUP_RATE_HOSPITAL", "10000/d")
LOOKUP_RATE_ADDRESS = env_str("LOOKUP_RATE_ADDRESS", "3000/d")
COVERAGE_RATE_USER = env_str("COVERAGE_RATE_USER", "60/d")
COVERAGE_RATE_HOSPITAL = env_str("COVERAGE_RATE_HOSPITAL", "200/d")
COVERAGE_RATE_ADDRESS = env_str("COVERAGE_RATE_ADDRESS", "200/d")
_RATES = ("API_RATE", "API_COVERAGE_RATE", "LOOKUP_RATE_USER", "LOOKUP_RATE_HOSPITAL", "LOOKUP_RATE_ADDRESS")
for _name in (*_RATES, "COVERAGE_RATE_USER", "COVERAGE_RATE_HOSPITAL", "COVERAGE_RATE_ADDRESS"):
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", globals()[_name]):
        raise ImproperlyConfigured(
            f"{_name} must be a rate such as 60/min or 300/d, not {globals()[_name]!r}"
        )
# A user (or API client's account) whose lookups of other hospitals' records pass this many in a day is
# listed for the 医保中心 (registration/selectors/lookups.py, /audit/lookups/).
LOOKUP_ALERT_PER_DAY = env_int("LOOKUP_ALERT_PER_DAY", 50)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["registration.api.auth.BearerKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["registration.api.auth.ScopeRequired"],
    "DEFAULT_THROTTLE_CLASSES": ["registration.api.throttles.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": API_RATE, "coverage": API_COVERAGE_RATE},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["registration.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registration.api.views.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DATE_FORMAT": "%Y-%m-%d",
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "新生儿预参保登记接口",
    "DESCRIPTION": (
        "供医院信息系统（HIS）、定点医疗机构结算窗口和医保中心调用。认证：`Authorization: Bearer <密钥>`"
        "（密钥由管理员用 `manage.py api_client_create` 或管理后台创建，只显示一次）。JSON 使用 UTF-8，"
        "日期为 YYYY-MM-DD，性别为 female / male，错误信息为中文。\n\n"
        "常用流程：`POST /api/v1/births` 登记（双胞胎在 babies 中列两名），"
        "返回每名新生儿的新生儿编码和个人编号；"
        "`GET /api/v1/newborns/{identity}` 查询记录；任一定点医疗机构用 `GET /api/v1/coverage` 核验登记卡。"
        "例：`curl -H 'Authorization: Bearer <密钥>' "
        "'<站点>/api/v1/coverage?code=<新生儿编码>&birth_date=2026-02-26'`"
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # ReDoc's theme names Montserrat and Roboto, which drf-spectacular's page fetches from Google Fonts; ours
    # (templates/registration/api_redoc.html) links the app's own fonts.css instead, and the theme uses them.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "var(--app-font-sans)",
                "headings": {"fontFamily": "var(--app-font-sans)"},
                # Monospace first, then the app's fonts for the Chinese in code samples (<密钥>).
                "code": {"fontFamily": "ui-monospace, Menlo, Consolas, monospace, var(--app-font-sans)"},
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {"WarningCodeEnum": "registration.services.newborns.WARNING_CODES"},
}
# /metrics (Prometheus) answers only these client addresses (registration.http.client_ip: behind nginx,
# the address nginx saw); any other gets a 404. Several gunicorn workers share their counts through
# PROMETHEUS_MULTIPROC_DIR (registration/metrics.py, deploy/gunicorn.conf.py).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The province whose households and hospitals this deployment serves (GB/T 2260: 45 is Guangxi).
PROVINCE_CODE = env_str("PROVINCE_CODE", "45")
# Where families pay, by city (registration/data/payment_channels.toml: Nanning's, from the 2026 guide); a
# deployment serving other cities names its own file of the same form (docs/rules.md, Payment channels).
PAYMENT_CHANNELS_FILE = Path(
    env_str("PAYMENT_CHANNELS_FILE", str(BASE_DIR / "registration" / "data" / "payment_channels.toml"))
)

# Text messages to families (docs/sms.md): the welcome on registration, reminders before the last day to
# pay, the confirmation of a payment. Sent by `manage.py send_reminders`, never by a request. The backend:
# "console" (the development default: the text in the log, the phone masked), "locmem" (tests), "aliyun"
# or "tencent" (the gateways, through their SDKs; credentials below).
SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in {"console", "locmem", "aliyun", "tencent"}:
    raise ImproperlyConfigured(f"SMS_BACKEND must be console, locmem, aliyun or tencent, got {SMS_BACKEND!r}")
# The signature (签名) the gateway approved, and the approved template code (模板) of each kind of message.
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "新生儿参保")
SMS_TEMPLATES = {
    "welcome": env_str("SMS_TEMPLATE_WELCOME", "SMS_WELCOME"),
    "reminder": env_str("SMS_TEMPLATE_REMINDER", "SMS_REMINDER"),
    "confirmation": env_str("SMS_TEMPLATE_CONFIRMATION", "SMS_CONFIRMATION"),
}
# Every call to a gateway gives up after this many seconds (a temporary error: retried at a later run).
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 5)
# The gateway's credentials: Aliyun's AccessKey, or Tencent Cloud's SecretId/SecretKey; SMS_ENDPOINT
# overrides the gateway's host (the tests' fake servers), SMS_REGION its region, SMS_SDK_APP_ID is
# Tencent's SmsSdkAppId.
SMS_ACCESS_KEY_ID = env_str("SMS_ACCESS_KEY_ID")
SMS_ACCESS_KEY_SECRET = env_str("SMS_ACCESS_KEY_SECRET")
SMS_ENDPOINT = env_str("SMS_ENDPOINT")
SMS_REGION = env_str("SMS_REGION")
SMS_SDK_APP_ID = env_str("SMS_SDK_APP_ID")
if PRODUCTION and SMS_BACKEND in {"aliyun", "tencent"} and not (SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET):
    raise ImproperlyConfigured(f"SMS_BACKEND={SMS_BACKEND} needs SMS_ACCESS_KEY_ID and SMS_ACCESS_KEY_SECRET")
# Reminders go this many days before the last day to pay, each once per record.
SMS_REMINDER_DAYS = tuple(sorted({int(day) for day in env_list("SMS_REMINDER_DAYS", "30,7,1")}, reverse=True))
# Nothing is sent between these hours (Asia/Shanghai): messages due at night wait for the morning.
SMS_QUIET_START = env_int("SMS_QUIET_START", 21)
SMS_QUIET_END = env_int("SMS_QUIET_END", 8)
# A temporary failure is retried at later runs, after a back-off doubling from SMS_RETRY_MINUTES, at most
# SMS_MAX_ATTEMPTS times in all; then the message is failed (shown to the clerks).
SMS_RETRY_MINUTES = env_int("SMS_RETRY_MINUTES", 10)
SMS_MAX_ATTEMPTS = env_int("SMS_MAX_ATTEMPTS", 5)
# Message rows (phone and text are personal information) are purged this many days after they were made.
SMS_KEEP_DAYS = env_int("SMS_KEEP_DAYS", 180)

# Full ID and phone numbers never reach a log line or an error report (registration/log_masking.py): every
# handler masks them, the error report hides the sensitive form fields and masks every frame variable.
DEFAULT_EXCEPTION_REPORTER = "registration.log_masking.MaskingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "registration.log_masking.SensitiveExceptionReporterFilter"
ADMINS = [("", address) for address in env_list("ERROR_EMAILS")]
SERVER_EMAIL = env_str("SERVER_EMAIL", "root@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_sensitive": {"()": "registration.log_masking.SensitiveDataFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_sensitive"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "mask_sensitive"],
            "reporter_class": "registration.log_masking.MaskingExceptionReporter",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own defaults would log requests and errors through handlers without the mask.
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # WeasyPrint reports every rendering step at INFO; only its warnings (a missing glyph) matter here.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        # django-axes reports every login, logout and reset at INFO (the audit log records them already);
        # its warnings (repeated failures, a lock-out) and errors still reach the console.
        "axes": {"level": "WARNING"},
    },
}
