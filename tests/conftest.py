"""Fixtures: one app per test session on a real database, cleaned after every test."""
import contextvars
import os
import re
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, limiter

PASSWORD = "correct-horse-42"
CLOCK_SITE = Path(__file__).with_name("clock_site")  # its sitecustomize.py shifts the clock of subprocesses
_session_clock = None


def pytest_addoption(parser):
    group = parser.getgroup("fieldcrm clock", "run the whole suite on a shifted clock (tests must pass on any date)")
    group.addoption("--clock-shift", default=None, metavar="N[dhms]",
                    help="move the clock N days/hours/minutes/seconds ahead (400d; -2h) for the whole run")
    group.addoption("--clock-start", default=None, metavar="ISO",
                    help="start the run's clock at this moment (2028-02-29T23:50+07:00); it then ticks on")


def _parse_shift(text):
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    match = re.fullmatch(r"\s*([+-]?\d+(?:\.\d+)?)\s*([dhms]?)\s*", text or "")
    if not match:
        raise pytest.UsageError(f"--clock-shift: expected N followed by d, h, m or s (400d), not {text!r}")
    return timedelta(**{units[match.group(2) or "s"]: float(match.group(1))})


def _parse_start(text):
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise pytest.UsageError(f"--clock-start: expected an ISO date-time (2028-02-29T23:50+07:00), not {text!r}")
    if moment.tzinfo is None:
        raise pytest.UsageError("--clock-start: give the UTC offset too (2028-02-29T23:50+07:00)")
    return moment


def pytest_configure(config):
    """With --clock-shift/--clock-start, the whole run (and every Python subprocess it starts) lives on a
    moved clock that keeps ticking; started here, before any app, session cookie or token exists."""
    global _session_clock
    shift, start = config.getoption("--clock-shift"), config.getoption("--clock-start")
    if shift and start:
        raise pytest.UsageError("--clock-shift and --clock-start cannot be combined")
    if not (shift or start):
        return
    import time_machine

    now = time.time()
    offset = _parse_shift(shift).total_seconds() if shift else _parse_start(start).timestamp() - now
    os.environ["FIELDCRM_CLOCK_OFFSET"] = repr(offset)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CLOCK_SITE), os.environ.get("PYTHONPATH")]))
    _session_clock = time_machine.travel(now + offset, tick=True)
    _session_clock.start()


def pytest_unconfigure(config):
    global _session_clock
    if _session_clock is not None:
        _session_clock.stop()
        _session_clock = None


def pytest_report_header(config):
    if _session_clock is not None:
        from datetime import timezone

        return f"shifted clock: the run starts at {datetime.now(timezone.utc).isoformat(timespec='seconds')} (UTC)"
    return None
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"|name="csrf_token" value="([^"]+)"')


def database_url(tmp_path_factory):
    """TEST_DATABASE_URL (PostgreSQL in CI) or a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def reset_schema():
    """Drop whatever a previous run left, then build the schema through the migrations."""
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    The tests hold an app context open for factories; without this, requests
    would share its `g` (cached CSRF token, cached current_user) and session.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "JOBS_IMMEDIATE": True,  # jobs run inside the request that queues them (in-memory queue)
        "IMPORT_UPLOAD_FOLDER": str(tmp_path_factory.mktemp("imports")),
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        reset_schema()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _clean_tables():
    db.session.rollback()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _app_context(app):
    """Every test runs inside an app context and leaves the database empty."""
    with app.app_context():
        yield
        db.session.remove()
        _clean_tables()
        limiter.reset()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def without_csrf_tokens(html):
    """A page with its CSRF tokens blanked: two renders a second apart differ only there (the token is time-stamped)."""
    return CSRF_RE.sub("csrf-token", html)


def csrf_token_from(html):
    """The CSRF token embedded in a page (hidden input or the htmx headers)."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return next(group for group in match.groups() if group)


class AuthActions:
    """Sign in and out, and post forms with a valid CSRF token, like a browser would."""

    def __init__(self, client):
        self._client = client

    def login(self, email, password=PASSWORD, next_path=None, remember=False):
        page = self._client.get("/login")
        data = {"email": email, "password": password, "csrf_token": csrf_token_from(page.get_data(as_text=True))}
        if remember:
            data["remember"] = "y"
        url = "/login" + (f"?next={next_path}" if next_path else "")
        return self._client.post(url, data=data)

    def token(self, path="/more"):
        return csrf_token_from(self._client.get(path).get_data(as_text=True))

    def post(self, url, data=None, token_path="/more", **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_path))
        return self._client.post(url, data=data, **kwargs)

    def logout(self):
        return self.post("/logout")


@pytest.fixture()
def auth(client):
    return AuthActions(client)


class LiveServer:
    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


def free_port():
    """A TCP port nothing listens on right now (aiosmtpd's Controller(port=0) fails its own self-check)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 keeping every message it receives, parsed.

    stop() makes the port refuse connections (SMTP down); start() listens on the same port again.
    """

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self._controller = None

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address):
        """The messages sent to address."""
        return [message for message in self.messages if address in str(message["To"])]


@pytest.fixture()
def smtp_sink(app):
    """An SMTP sink the app sends to for this test; the in-memory job queue starts and ends empty."""
    from app.jobs import huey

    sink = SmtpSink()
    sink.start()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False, MAIL_USERNAME=None)
    huey.flush()
    yield sink
    sink.stop()
    app.config.update(saved)
    huey.flush()
