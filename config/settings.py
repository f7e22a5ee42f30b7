"""Keel's settings, all read from the environment: embedded defaults, production when DJANGO_DEBUG=false."""

from datetime import timedelta
from pathlib import Path

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the embedded mode writes (SQLite, broker folders, e-mail files, screenshots) lives here; ignored.
DATA_DIR = Path(env.text("KEEL_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.flag("DJANGO_DEBUG", True)
PRODUCTION = not DEBUG

if PRODUCTION:
    SECRET_KEY = env.text(
        "SECRET_KEY",
        required_because="when DJANGO_DEBUG=false",
        what="a long random string, e.g. the output of: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
    )
    ALLOWED_HOSTS = env.word_list(
        "ALLOWED_HOSTS",
        required_because="when DJANGO_DEBUG=false",
        what="the comma-separated host names Keel is served on, e.g. keel.example.com",
    )
else:
    # Not a secret: it only signs sessions of a local demo. Production refuses to start without SECRET_KEY.
    SECRET_KEY = env.text("SECRET_KEY", "embedded-demo-key-not-for-production-" + "k" * 20)
    ALLOWED_HOSTS = env.word_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

CSRF_TRUSTED_ORIGINS = env.word_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core.admin_site.KeelAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "axes",
    "core",
    "outbox",
    "org",
    "webhooks",
    "metrics",
    "goals",
    "reviews",
    "customers",
    "search",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.StripNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: is this an htmx request, and what does it target
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    # Last: it turns a sign-in refused for too many failures into Keel's sign-in page with the reason.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "org.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", default_sqlite=DATA_DIR / "keel.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
# django-axes first: it refuses a locked-out account and address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "org.auth_backends.UsernameOrEmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# Sign-in throttling (django-axes, counted in the database): this many failures for one account from one client
# address lock that account at that address until the window has passed. Other addresses (the person at home,
# colleagues behind the same office NAT signing in to their own accounts) are not locked.
LOGIN_FAILURE_LIMIT = env.integer("KEEL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_FAILURE_WINDOW = env.integer("KEEL_LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "org.auth_backends.account_key"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "org.forms.locked_out_response"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_VERBOSE = False
# How many reverse proxies (nginx, a load balancer) stand between people and Keel, each appending to
# X-Forwarded-For; 0 (the default) trusts no header and uses the connection's address. Sign-in throttling
# and the customers' answer page count per client address found this way (core/client_address.py).
KEEL_TRUSTED_PROXY_COUNT = env.integer("KEEL_TRUSTED_PROXY_COUNT", 0, minimum=0)
# Password reset: at most this many e-mails to one address per hour, whoever asks.
PASSWORD_RESET_EMAILS_PER_HOUR = env.integer("KEEL_PASSWORD_RESET_EMAILS_PER_HOUR", 3, minimum=1)

LANGUAGE_CODE = "en-gb"
# The organization's zone: pages show times in it, and week and month boundaries follow it.
TIME_ZONE = env.text("KEEL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.text("STATIC_ROOT", str(DATA_DIR / "static")))  # collectstatic writes here
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"

REDIS_URL = env.text("REDIS_URL")
if REDIS_URL:
    # Short timeouts: a cache that does not answer must not hold a request (core/best_effort.py carries on).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # A file cache is shared by the web processes, so the answer page's rate limit holds across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# E-mail: console by default, files with EMAIL_BACKEND=file, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env.text("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env.text("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.flag("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = 30
elif env.text("EMAIL_BACKEND", "console") == "file":
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Keel <keel@localhost>")
# Where people reach Keel: links in e-mails (reminders, invitations, customers' answer links) start with it.
KEEL_SITE_URL = env.text("KEEL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The organization's name as people outside it know it: e-mails to customers come from "<name> via Keel" at the
# DEFAULT_FROM_EMAIL address. Empty: the name of the top department (the organization in the department tree).
KEEL_ORGANIZATION_NAME = env.text("KEEL_ORGANIZATION_NAME", "")
# How often the outbox tries a message before it is reported as failed in the admin.
OUTBOX_MAX_ATTEMPTS = env.integer("KEEL_OUTBOX_MAX_ATTEMPTS", 5, minimum=1)
# Outgoing webhooks: attempts per delivery before it is marked failed (backoff 30 s, 2 min, 8 min ... 6 h), and
# whether every subscription may reach private, loopback and link-local addresses (otherwise only those an admin
# allowed, one by one).
WEBHOOKS_MAX_ATTEMPTS = env.integer("KEEL_WEBHOOKS_MAX_ATTEMPTS", 8, minimum=1)
KEEL_WEBHOOKS_ALLOW_PRIVATE = env.flag("KEEL_WEBHOOKS_ALLOW_PRIVATE", False)
WEBHOOKS_RETENTION_DAYS = env.integer("KEEL_WEBHOOKS_RETENTION_DAYS", 90, minimum=1)

# Quality definitions: first reminder to acknowledge after this many days, then at most once per interval.
KEEL_ACK_REMINDER_DAYS = env.integer("KEEL_ACK_REMINDER_DAYS", 3, minimum=0)
KEEL_ACK_REMINDER_INTERVAL_DAYS = env.integer("KEEL_ACK_REMINDER_INTERVAL_DAYS", 7, minimum=1)
# REST API (api/): requests a minute per token (429 with Retry-After beyond; not enforced while the cache is down).
KEEL_API_RATE_LIMIT = env.integer("KEEL_API_RATE_LIMIT", 600, minimum=1)

# Review sessions: reminders this many days before a session (comma-separated), and how far ahead a recurring
# series creates its occurrences.
KEEL_REVIEW_REMINDER_DAYS = env.integer_list("KEEL_REVIEW_REMINDER_DAYS", [7, 1])
KEEL_REVIEW_SERIES_HORIZON_DAYS = env.integer("KEEL_REVIEW_SERIES_HORIZON_DAYS", 120, minimum=7)

# Celery: the database is the queue of truth; broker messages are only nudges (see ARCHITECTURE.md).
BROKER_DIR = DATA_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any countdown or retry delay we use, so a delayed task is not redelivered early.
        "visibility_timeout": env.integer("CELERY_VISIBILITY_TIMEOUT", 2 * 60 * 60, minimum=60),
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    for folder in ("queue", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# A broker that does not answer holds a request only briefly: the nudge is then dropped (core/best_effort.py)
# and beat catches the work up from the database.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_ALWAYS_EAGER = env.flag("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# reject_on_worker_lost redelivers a task that kills its worker; the time limit stops that from looping forever.
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 15 * 60, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 5
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Default periodic tasks; beat copies them into the database, where admins edit them (Periodic tasks admin).
CELERY_BEAT_SCHEDULE = {
    "outbox-send-pending": {"task": "outbox.tasks.send_pending_emails", "schedule": 60.0},
    "webhooks-send-due": {"task": "webhooks.tasks.send_due_deliveries", "schedule": 60.0},
    "webhooks-forget-old": {"task": "webhooks.tasks.forget_old_deliveries", "schedule": 24 * 3600.0},
    "customers-announce-overdue-follow-ups": {
        "task": "customers.tasks.announce_overdue_follow_ups",
        "schedule": 3600.0,
    },
    "metrics-rollup": {"task": "metrics.tasks.run_rollups", "schedule": 120.0},
    # Every minute: an import whose worker died is noticed within STALE_AFTER (90 s) plus a minute.
    "metrics-recover-imports": {"task": "metrics.tasks.recover_reading_imports", "schedule": 60.0},
    # Catches up award e-mails whose nudge was lost (each award is claimed once: none is sent twice).
    "metrics-tell-award-winners": {"task": "metrics.tasks.tell_award_winners", "schedule": 600.0},
    "goals-acknowledgement-reminders": {"task": "goals.tasks.send_acknowledgement_reminders", "schedule": 3600.0},
    "reviews-invitations-and-reminders": {"task": "reviews.tasks.send_invitations_and_reminders", "schedule": 900.0},
    "reviews-extend-series": {"task": "reviews.tasks.extend_series", "schedule": 6 * 3600.0},
    "customers-invitations-and-reminders": {
        "task": "customers.tasks.send_invitations_and_reminders",
        "schedule": 900.0,
    },
    "customers-close-ended-campaigns": {"task": "customers.tasks.close_ended_campaigns", "schedule": 3600.0},
    "reviews-invite-due-people": {"task": "reviews.tasks.invite_due_people", "schedule": 6 * 3600.0},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

MESSAGE_TAGS = {40: "danger"}  # Bootstrap calls an error "danger"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): every script, style, font and image is Keel's own, served from
# static/ (vendored Bootstrap and htmx); no inline script or style attribute, nothing from other sites.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Permissions-Policy (core/middleware.py): Keel uses no camera, microphone, location, payment or USB.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", True)
    # Load balancers probe /healthz over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.flag("SECURE_HSTS_PRELOAD", True)
    if env.flag("SECURE_PROXY_SSL_HEADER", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler only speaks with DEBUG on; ours speaks always, once.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
