"""Bench databases, built once per set of parameters and cached."""
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
FULL = dict(reps=50, customers=100_000, deals=50_000, activities=500_000, quotes=20_000, seed=42)


def scaled(params, divisor):
    """The same data set at 1/divisor of the rows (reps stay: scaling is about data per rep)."""
    return {key: (value if key in ("reps", "seed") else max(1, value // divisor)) for key, value in params.items()}


def _fingerprint(params):
    """Parameters plus the code that shapes the data: change either and the cache is rebuilt."""
    # The date too: "due today" activities are placed on the day the data is built.
    digest = hashlib.sha256(repr((sorted(params.items()), time.strftime("%Y-%m-%d"))).encode())
    seed_code = [ROOT / "app" / "seed" / "bench.py", ROOT / "app" / "seed" / "demo.py"]
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")) + seed_code:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _flask(args, database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "FLASK_APP": "wsgi.py"}
    subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True)


def database_for(params, base_url=None):
    """URL of a database holding bench data for params, building it when missing; returns (url, build seconds or None)."""
    tag = _fingerprint(params)
    if base_url:
        url = make_url(base_url)
        name = f"{_prefix(base_url)}{tag}"
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        target = url.set(database=name).render_as_string(hide_password=False)
        marker = CACHE / f"pg-{name}.done"
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / f"bench-{tag}.sqlite3"
        target = f"sqlite:///{path}"
        marker = CACHE / f"bench-{tag}.done"
        if not marker.exists():
            for leftover in CACHE.glob(f"bench-{tag}.sqlite3*"):
                leftover.unlink()
    if marker.exists():
        return target, None
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if base_url:  # a half-built database from an interrupted run: start again
        engine = create_engine(target)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    _flask(["db", "upgrade"], target)
    _flask(["seed", "bench", *[f"--{k}={v}" for k, v in params.items()]], target)
    seconds = time.perf_counter() - started
    marker.write_text(f"{seconds:.1f}\n")
    return target, seconds


def _prefix(base_url):
    """fieldcrm_bench_…, or <database>_… when BENCH_DATABASE_URL names a database of its own (two runs sharing one
    server never share a bench database)."""
    database = make_url(base_url).database
    return "fieldcrm_bench_" if database in (None, "", "postgres") else f"{database}_"


def clean(base_url=None):
    """Remove every cached bench database (SQLite files, and fieldcrm_bench_* on base_url)."""
    import shutil

    shutil.rmtree(CACHE, ignore_errors=True)
    if base_url:
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                 {"p": _prefix(base_url) + "%"}).scalars().all()
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__" and sys.argv[1:] == ["clean"]:
    clean(os.environ.get("BENCH_DATABASE_URL"))
