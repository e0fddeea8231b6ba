"""Start the app under gunicorn on a free local port, and sign in like a browser."""
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """FieldCRM in bench mode under gunicorn with `make run`'s settings (2 workers × 4 threads), on 127.0.0.1 only."""

    def __init__(self, database_url, workers=2, threads=4, app="wsgi:app", env=None, root=ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_url, "FIELDCRM_BENCH": "1", "SESSION_COOKIE_SECURE": "0",
               "LOGIN_RATE_LIMIT": "10000 per minute", **(env or {})}
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", app],
            cwd=root, env=env, start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still booting
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def bare_server(sqlite_url, email):
    """The bare Flask + Jinja yardstick (bench/bare.py) under gunicorn with the same settings as FieldCRM."""
    from sqlalchemy.engine import make_url

    return Gunicorn(sqlite_url, app="bench.bare:app",
                    env={"BARE_SQLITE_PATH": make_url(sqlite_url).database, "BARE_OWNER_EMAIL": email})


def signed_in_session(base_url, email, password):
    """A requests.Session holding a signed-in cookie, sending what a browser sends."""
    session = requests.Session()
    session.headers["Accept-Encoding"] = "gzip, deflate, br"
    page = session.get(base_url + "/login")
    token = CSRF.search(page.text).group(1)
    response = session.post(base_url + "/login", data={"email": email, "password": password, "csrf_token": token},
                            allow_redirects=False)
    if response.status_code != 303:
        raise RuntimeError(f"could not sign in as {email}: HTTP {response.status_code}")
    return session
