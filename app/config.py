"""Configuration read from the environment, with safe defaults."""
import os
import secrets


def env_bool(name, default):
    """Read a yes/no environment variable ("1", "true", "yes", "on" mean yes)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_or_create_secret_key(instance_path):
    """Return SECRET_KEY from the environment, else from instance/secret_key, creating it once."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        # Write a complete file, then link it into place: workers starting together agree on
        # one key and none ever reads a half-written file.
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path, encoding="ascii") as fh:
        key = fh.read().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it or set SECRET_KEY")
    return key


def defaults(instance_path):
    """Settings every deployment starts from; instance/config.py and test_config override them."""
    sqlite_path = os.path.join(instance_path, "fieldcrm.sqlite3")
    redis_url = os.environ.get("REDIS_URL") or None
    return dict(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_path}",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        REDIS_URL=redis_url,
        # One count for every worker: Redis when there is one, else the database (app/services/auth/rate_limit_storage.py).
        RATELIMIT_STORAGE_URI=redis_url or "database://",
        RATELIMIT_HEADERS_ENABLED=True,
        # Failed sign-ins per address and e-mail, and per address alone (offices share one IP).
        LOGIN_RATE_LIMIT=os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        LOGIN_IP_RATE_LIMIT=os.environ.get("LOGIN_IP_RATE_LIMIT", "60 per minute;300 per hour"),
        # Number of proxies in front of the app whose X-Forwarded-For/-Proto to trust (0: none).
        PROXY_FIX_X_FOR=int(os.environ.get("PROXY_FIX_X_FOR", 0)),
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", 2 * 1024 * 1024)),
        # Customer CSV imports only: a larger upload than any other form, and a cap on rows per file.
        IMPORT_MAX_BYTES=int(os.environ.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024)),
        IMPORT_MAX_ROWS=int(os.environ.get("IMPORT_MAX_ROWS", 50_000)),
        # Uploaded import files wait here (outside the web root) until their import job has read them.
        IMPORT_UPLOAD_FOLDER=os.environ.get("IMPORT_UPLOAD_FOLDER") or os.path.join(instance_path, "imports"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env_bool("SESSION_COOKIE_SECURE", not env_bool("FLASK_DEBUG", False)),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=env_bool("SESSION_COOKIE_SECURE", not env_bool("FLASK_DEBUG", False)),
        # Where people reach the app: used in links that leave it (invitations printed by the CLI, e-mails).
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 14,
        WTF_CSRF_TIME_LIMIT=None,  # token lives as long as the session: reps keep pages open all day
        COMPRESS_MIMETYPES=[
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/calendar", "text/csv",
        ],
        COMPRESS_ALGORITHM=["br", "gzip"],
        # Pages are compressed per request: Brotli's quality 3 takes 0.15 ms on Today's 58 KB where quality 4
        # (Flask-Compress's default) took 0.9–1.3 ms, for 6 % more bytes. Static files are compressed once, at 11.
        COMPRESS_BR_LEVEL=3,
        COMPRESS_MIN_SIZE=500,
        BABEL_DEFAULT_LOCALE=os.environ.get("BABEL_DEFAULT_LOCALE", "vi"),
        BABEL_DEFAULT_TIMEZONE=os.environ.get("TIMEZONE", "Asia/Ho_Chi_Minh"),
        LANGUAGES=("vi", "en"),
        MAIL_SERVER=os.environ.get("MAIL_SERVER", "127.0.0.1"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", 8025)),
        MAIL_USE_TLS=env_bool("MAIL_USE_TLS", False),
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME") or None,
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD") or None,
        MAIL_DEFAULT_SENDER=os.environ.get("MAIL_DEFAULT_SENDER", "FieldCRM <no-reply@fieldcrm.local>"),
        COMPANY_NAME=os.environ.get("COMPANY_NAME", "Công ty TNHH FieldCRM Việt Nam"),
        COMPANY_ADDRESS=os.environ.get("COMPANY_ADDRESS", "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"),
        COMPANY_TAX_CODE=os.environ.get("COMPANY_TAX_CODE", "0312345678"),
        COMPANY_PHONE=os.environ.get("COMPANY_PHONE", "028 3822 1234"),
        COMPANY_EMAIL=os.environ.get("COMPANY_EMAIL", "sales@fieldcrm.local"),
        COMPANY_BANK_ACCOUNT=os.environ.get("COMPANY_BANK_ACCOUNT", "0071 0012 34567 — Vietcombank CN Sài Gòn"),
        # scrypt (Werkzeug's default). Tests use a cheap pbkdf2 so that hundreds of logins stay fast.
        PASSWORD_HASH_METHOD=os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        INVITATION_TTL_HOURS=int(os.environ.get("INVITATION_TTL_HOURS", 72)),
        # A visit checked in farther than this from the customer's stored location is flagged on the card.
        CHECKIN_MAX_DISTANCE_M=int(os.environ.get("CHECKIN_MAX_DISTANCE_M", 500)),
        # A customer with no call, visit or meeting for this many days is "due for contact".
        CONTACT_DUE_DAYS=int(os.environ.get("CONTACT_DUE_DAYS", 30)),
        BENCH_MODE=env_bool("FIELDCRM_BENCH", False),
        # Job queue (Huey, app/queue.py): SQLite file by default, Redis when REDIS_URL is set; immediate
        # runs each job at once inside the caller (tests). A failed e-mail is retried JOBS_RETRIES times.
        JOBS_SQLITE_PATH=os.environ.get("JOBS_SQLITE_PATH") or os.path.join(instance_path, "jobs.sqlite3"),
        JOBS_IMMEDIATE=env_bool("JOBS_IMMEDIATE", False),
        JOBS_RETRIES=int(os.environ.get("JOBS_RETRIES", 5)),
        JOBS_RETRY_DELAY=int(os.environ.get("JOBS_RETRY_DELAY", 30)),
        # A PDF taking longer than this is abandoned (its render process killed): huge quotes fail cleanly.
        PDF_TIMEOUT_SECONDS=int(os.environ.get("PDF_TIMEOUT_SECONDS", 30)),
        # The customer's accept/decline forms, per client address.
        PUBLIC_QUOTE_RATE_LIMIT=os.environ.get("PUBLIC_QUOTE_RATE_LIMIT", "10 per minute"),
        # An accepted quote becomes a contract of this many months (renewal reminder 30 days before its end).
        CONTRACT_MONTHS=int(os.environ.get("CONTRACT_MONTHS", 12)),
        # A new quote (or a new revision of an expired one) is valid for this many days.
        QUOTE_VALID_DAYS=int(os.environ.get("QUOTE_VALID_DAYS", 15)),
        # Payment terms a new quote starts with (the rep can change them per quote).
        QUOTE_PAYMENT_TERMS=os.environ.get(
            "QUOTE_PAYMENT_TERMS",
            "Thanh toán 100% bằng chuyển khoản trong vòng 30 ngày kể từ ngày xuất hóa đơn GTGT."),
    )
