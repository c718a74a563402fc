"""Django settings for the registry; everything that varies comes from the environment (registry.config)."""

from __future__ import annotations

import os

import django_stubs_ext

from registry import config

django_stubs_ext.monkeypatch()  # ModelAdmin[Model] and friends subscriptable at run time, as the stubs type them

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = os.environ.get("REGISTRY_DEBUG") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("REGISTRY_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h]
# behind a TLS-terminating proxy (docs/registry.md): trust its X-Forwarded-Proto for request.is_secure()
if os.environ.get("REGISTRY_BEHIND_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "registry.core",
    "registry.accounts",
    "registry.lots",
    "registry.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.template.context_processors.i18n",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

DATABASES = {"default": config.parse_database_url(config.database_url()).django()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pages:dashboard"
LOGOUT_REDIRECT_URL = "pages:verify"
# the programme's goal the dashboard measures progress against (the regional programme: 20,000 devices)
REGISTRY_PROGRAMME_TARGET = int(os.environ.get("REGISTRY_PROGRAMME_TARGET", "20000"))
# devices per lot page (the whole lot stays on one page with ?page=all, and in the attestation's CSV)
REGISTRY_LOT_PAGE_SIZE = int(os.environ.get("REGISTRY_LOT_PAGE_SIZE", "500"))

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

# the station API reads request bodies itself, with its own limit (413 before parsing); Django's own limit
# would answer 400 instead, so it is set just above ours
REGISTRY_MAX_UPLOAD_BYTES = int(os.environ.get("REGISTRY_MAX_UPLOAD_BYTES", str(16 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = REGISTRY_MAX_UPLOAD_BYTES + 1
# the transparency log: its signing key (created on first start, 0600) and its origin line
REGISTRY_LOG_KEY = os.environ.get("REGISTRY_LOG_KEY", str(DATA_DIR / "log-key"))
REGISTRY_LOG_ORIGIN = os.environ.get("REGISTRY_LOG_ORIGIN", "")  # empty: the key's own (set on first start)
REGISTRY_ENROLL_CODE_DAYS = 7
# the registry's public base URL (https://registre.example.org) for what it hands out; empty: from the request
REGISTRY_PUBLIC_URL = os.environ.get("REGISTRY_PUBLIC_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # request logs name method and path only; Authorization headers and bodies are never logged
    "loggers": {"django.request": {"level": "ERROR"}},
}
