"""Failed sign-ins are counted once for every worker process (#19): in the database, or in Redis when set.

Two real servers run as separate processes on one database; wrong guesses alternate between them and
the 429 comes at the configured limit in total, not per process.
"""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import RateLimitCounter
from app.services.auth.rate_limit_storage import DatabaseStorage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 5
WORKER = """
import sys
from flask_migrate import upgrade
from werkzeug.serving import make_server
from app import create_app

database, storage, prefix, mode = sys.argv[1:5]
app = create_app({"SECRET_KEY": "worker-secret", "SQLALCHEMY_DATABASE_URI": database, "WTF_CSRF_ENABLED": False,
                  "SESSION_COOKIE_SECURE": False, "LOGIN_RATE_LIMIT": "%d per minute", "RATELIMIT_STORAGE_URI": storage,
                  "RATELIMIT_KEY_PREFIX": prefix, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
if mode == "migrate":
    with app.app_context():
        upgrade()
    sys.exit(0)
server = make_server("127.0.0.1", 0, app)
print(server.server_port, flush=True)
server.serve_forever()
""" % LIMIT


def worker_env():
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
    env["PYTHONPATH"] = ROOT
    return env


@pytest.fixture()
def workers(tmp_path):
    """start(storage_uri, prefix) → the base URLs of two server processes sharing one SQLite file."""
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    processes = []

    def start(storage, prefix):
        subprocess.run([sys.executable, str(script), database, storage, prefix, "migrate"], cwd=ROOT, env=worker_env(),
                       check=True, capture_output=True, timeout=120)
        urls = []
        for _ in range(2):
            process = subprocess.Popen([sys.executable, str(script), database, storage, prefix, "serve"], cwd=ROOT,
                                       env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            processes.append(process)
            urls.append(f"http://127.0.0.1:{int(process.stdout.readline())}")
        return urls

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def wrong_guess(url, email="an@example.vn"):
    body = urllib.parse.urlencode({"email": email, "password": "wrong-password"}).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}/login", data=body), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_wrong_guesses_split_across_two_workers_share_one_database_count(workers):
    first, second = workers("database://", f"test-login-{uuid.uuid4().hex}")
    codes = [wrong_guess((first, second)[n % 2]) for n in range(LIMIT + 3)]
    assert codes == [400] * LIMIT + [429] * 3


def test_another_account_from_the_same_address_has_its_own_count(workers):
    first, second = workers("database://", f"test-login-{uuid.uuid4().hex}")
    for n in range(LIMIT):
        wrong_guess((first, second)[n % 2])
    assert wrong_guess(second) == 429
    assert wrong_guess(first, email="binh@example.vn") == 400


def test_with_redis_two_workers_share_one_count_and_leave_no_keys(workers):
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test-login-{uuid.uuid4().hex}"
    try:
        first, second = workers("redis://127.0.0.1:6379/0", prefix)
        codes = [wrong_guess((first, second)[n % 2]) for n in range(LIMIT + 2)]
        assert codes == [400] * LIMIT + [429] * 2
        assert list(client.scan_iter(f"*{prefix}*"))  # counted in Redis, not in each process
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    assert not list(client.scan_iter(f"*{prefix}*"))


def test_the_database_storage_counts_restarts_an_expired_window_and_prunes_old_ones(app):
    storage = DatabaseStorage("database://")
    assert [storage.incr("k1", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k1") == 3 and storage.get_expiry("k1") > time.time() + 50
    storage.incr("old", 60)
    db.session.execute(db.update(RateLimitCounter).values(expires_at=time.time() - 1))  # both windows over
    db.session.commit()
    assert storage.get("k1") == 0
    assert storage.incr("k1", 60) == 1  # a new window, which prunes the ones that are over
    assert db.session.scalar(select(func.count()).select_from(RateLimitCounter)) == 1
    storage.clear("k1")
    assert storage.get("k1") == 0 and storage.check()
