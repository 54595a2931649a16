"""Configuration defaults; the environment overrides them with STATUSPAGE_* variables."""

from __future__ import annotations


class Config:
    """Production defaults: nothing secret, nothing read from the environment here."""

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = "sqlite:///statuspage.db"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Page identity; the admin settings page overrides these without a restart.
    PAGE_NAME = "Status"
    PAGE_ID = "statuspage01"
    BASE_URL = "http://127.0.0.1:5000"
    TIMEZONE = "UTC"

    # Sessions and cookies.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # None: Secure when BASE_URL is https
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: "Remember me" keeps a session (and its server-side row) this many seconds.
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12
    WTF_CSRF_TIME_LIMIT = 60 * 60 * 12

    MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MiB; bulk CSV imports stay well below
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    #: Werkzeug hash method for staff passwords.
    PASSWORD_HASH_METHOD = "scrypt"

    # Admin bootstrap (make run); generated and printed once when unset.
    ADMIN_EMAIL: str | None = None
    ADMIN_PASSWORD: str | None = None

    # Public page.
    HISTORY_DAYS_ON_PAGE = 7
    UPTIME_DAYS = 90
    #: While a component is not operational, its uptime is counted to the last boundary of
    #: this many minutes (and the pages showing uptime change that often): docs/architecture.md.
    UPTIME_LIVE_MINUTES = 15
    UPCOMING_MAINTENANCE_DAYS = 14
    HISTORY_PAGE_SIZE = 20
    FEED_ITEMS = 50
    # `flask publish --to s3://...`: an S3-compatible store's endpoint (None: AWS itself).
    PUBLISH_S3_ENDPOINT_URL: str | None = None
    # Continuous publishing (docs/deployment.md): the folder (the symlink nginx serves) the
    # scheduler's `publish` job keeps up to date, looking at the page version every
    # PUBLISH_POLL_SECONDS and rebuilding everything daily at PUBLISH_NIGHTLY_HOUR (UTC).
    # None: no `publish` job. PUBLISH_SNAPSHOTS: each incremental publish is a new build of
    # hard links swapped in at once, rather than its pages renamed into the build in use.
    PUBLISH_DIR: str | None = None
    PUBLISH_POLL_SECONDS = 0.5
    PUBLISH_NIGHTLY_HOUR = 3
    PUBLISH_SNAPSHOTS = False
    CACHE_SECONDS = 15
    REDIS_URL: str | None = None
    # Each worker's rendered bodies (without Redis) and its replayed answers: bounded in entries
    # and bytes, least recently used out first, so distinct URLs cannot grow a worker.
    CACHE_THRESHOLD = 500
    CACHE_MAX_BYTES = 64 * 1024 * 1024
    HOT_CACHE_MAX_ENTRIES = 2_000
    HOT_CACHE_MAX_BYTES = 32 * 1024 * 1024

    # Scheduler.
    SCHEDULER_TICK_SECONDS = 10
    SCHEDULER_STALE_SECONDS = 120

    # Built-in checks (run by the scheduler only).
    #: How often the scheduler looks for due checks; each check still runs at its own interval.
    CHECKS_TICK_SECONDS = 5
    #: Probes running at once, at most.
    CHECKS_WORKERS = 16
    #: A CA bundle (PEM file) HTTPS checks trust instead of the system's (a private CA).
    CHECKS_CA_BUNDLE: str | None = None

    # Mail.
    MAIL_BACKEND = "smtp"  # smtp | console | memory
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = "status@localhost"
    MAIL_BATCH_SIZE = 500
    #: A temporarily failing delivery (4xx, refused connection, timeout) is retried this long
    #: after it was queued, with backoff capped at MAIL_BACKOFF_CAP_SECONDS; a 5xx fails at once.
    MAIL_RETRY_HOURS = 24
    MAIL_BACKOFF_CAP_SECONDS = 600
    #: A row claimed by a sender that died goes back to the queue after this long; it must
    #: exceed one SMTP exchange (MAIL_TIMEOUT), as each row is claimed only while it is sent.
    MAIL_CLAIM_LEASE_SECONDS = 300
    #: A notification event not yet mailed this long after it happened (no scheduler ran) is
    #: logged and marked expired instead of mailed.
    MAIL_EVENT_MAX_AGE_HOURS = 24
    DIGEST_HOUR = 8

    # Outbound webhooks (subscribers) and chat channels, POSTed by the scheduler's hooks job.
    #: Seconds one POST may take (Statuspage allows its receivers 30).
    WEBHOOK_TIMEOUT = 10
    #: Permanent failures in a row (a 4xx, or retries exhausted) that disable a webhook
    #: subscriber, with one notice mail to its address.
    WEBHOOK_FAILURE_LIMIT = 3
    #: Deliveries one pass of the hooks job POSTs at most.
    HOOKS_BATCH_SIZE = 100
    #: Endpoints on private, loopback or link-local addresses are refused (SSRF guard) unless
    #: this is true (a status page inside a private network).
    WEBHOOKS_ALLOW_PRIVATE = False

    # Abuse limits.
    SUBSCRIBE_RATE_LIMIT = "10 per hour"
    SUBSCRIBE_ADDRESS_RATE_LIMIT = "3 per hour"
    SUBSCRIBE_MAX_COMPONENTS = 50
    LOGIN_RATE_LIMIT = "20 per minute"
    #: The public "Report a problem" form, per network.
    REPORT_RATE_LIMIT = "5 per hour"
    #: Monitoring webhooks (/api/integrations/*), per sending address.
    INTEGRATION_RATE_LIMIT = "300 per minute"
    #: Failed sign-ins per address and source before that source waits LOGIN_LOCKOUT_SECONDS;
    #: past the same count from any source, each try waits a cool-down (doubling, capped).
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_SECONDS = 15 * 60
    LOGIN_COOLDOWN_SECONDS = 5
    LOGIN_COOLDOWN_MAX_SECONDS = 60

    # Monitoring: /metrics answers these addresses and networks without a token (comma-separated,
    # e.g. "127.0.0.1,10.0.0.0/8"); anyone else needs an API token of scope metrics or admin.
    METRICS_ALLOW: str | list[str] = ""

    # A development key file in instance/ is created only when this is true.
    GENERATE_SECRET_KEY = False
    SEED_DEMO = False


class DevelopmentConfig(Config):
    """`make run`: SQLite in instance/, console mail, a generated local secret key."""

    PAGE_NAME = "Acme Cloud"
    GENERATE_SECRET_KEY = True
    MAIL_BACKEND = "console"


class TestingConfig(Config):
    """pytest: in-memory SQLite unless TEST_DATABASE_URL is given, mail kept in memory."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    MAIL_BACKEND = "memory"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    #: Fast hashing keeps hundreds of test sign-ins quick; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    #: The tests' webhook and chat sinks listen on 127.0.0.1.
    WEBHOOKS_ALLOW_PRIVATE = True


class ProductionConfig(Config):
    """gunicorn + scheduler process; STATUSPAGE_SECRET_KEY and a database URL must be set."""
