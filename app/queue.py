"""The job queue (Huey) itself: its storage, the app context a job runs in, and queueing a job by name.

Storage: a SQLite file in instance/ (embedded, nothing to install) or Redis when REDIS_URL is set;
with JOBS_IMMEDIATE a job runs at once inside the caller, on in-memory storage (tests). The jobs
themselves are in app/jobs.py, which calls the services; the services queue a job by its name through
enqueue() here, so that neither imports the other's module in a circle.
"""
import os
import threading
from contextlib import contextmanager

from flask import Config, current_app, has_app_context
from huey import RedisHuey, SqliteHuey

from app.config import defaults

INSTANCE_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "instance")


def _queue_config():
    """The settings create_app() would read (environment, then instance/config.py), without creating an app."""
    config = Config(INSTANCE_PATH)
    config.from_mapping(defaults(INSTANCE_PATH))
    config.from_pyfile("config.py", silent=True)
    return config


def _make_huey(config):
    if config["REDIS_URL"]:
        return RedisHuey("fieldcrm", url=config["REDIS_URL"], results=False)
    os.makedirs(os.path.dirname(config["JOBS_SQLITE_PATH"]), exist_ok=True)
    return SqliteHuey("fieldcrm", filename=config["JOBS_SQLITE_PATH"], results=False)


huey = _make_huey(_queue_config())

_app = None
_app_lock = threading.Lock()


@contextmanager
def app_context():
    """The caller's app context when there is one (immediate mode), else the consumer's own app's."""
    global _app
    if has_app_context():
        yield current_app
        return
    with _app_lock:
        if _app is None:
            from app import create_app

            _app = create_app()
    with _app.app_context():
        yield _app


def init_app(app):
    """Immediate mode for an app that asks for it (tests). Never switched back: the queue is per process."""
    if app.config["JOBS_IMMEDIATE"]:
        huey.immediate = True


_TASKS = {}


def job(**options):
    """huey.task(**options), registered under its function's name for enqueue()."""
    def register(function):
        task = huey.task(**options)(function)
        _TASKS[function.__name__] = task
        return task
    return register


def enqueue(name, *args):
    """Queue the job `name`(*args) with the configured retries (JOBS_RETRIES, every JOBS_RETRY_DELAY seconds).

    The jobs register themselves when app/jobs.py is imported: create_app() and the worker both import it.
    """
    config = current_app.config
    task = _TASKS[name]
    return huey.enqueue(task.s(*args, retries=config["JOBS_RETRIES"], retry_delay=config["JOBS_RETRY_DELAY"]))
