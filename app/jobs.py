"""The job queue (Huey): e-mails that must reach the customer even when SMTP is down for a while.

Storage: a SQLite file in instance/ (embedded, nothing to install) or Redis when REDIS_URL is set;
with JOBS_IMMEDIATE a job runs at once inside the caller, on in-memory storage (tests). The worker is
`.venv/bin/huey_consumer app.jobs.huey` (`make run` starts it next to gunicorn); it also runs the periodic
tasks below (the automation rules and the morning digest) on their schedule. A job runs inside an
app context: the caller's in immediate mode, else one of an app this module creates on first use.
"""
import os
import threading
from contextlib import contextmanager

from flask import Config, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab

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


def enqueue(task, *args):
    """Queue task(*args) with the configured retries (JOBS_RETRIES, every JOBS_RETRY_DELAY seconds)."""
    config = current_app.config
    return huey.enqueue(task.s(*args, retries=config["JOBS_RETRIES"], retry_delay=config["JOBS_RETRY_DELAY"]))


@huey.task(retries=5, retry_delay=30, context=True)
def send_quote_email(quote_id, token, message, task=None):
    """E-mail a sent quote (PDF attached, public link) to its recipient; retried while SMTP fails, never sent twice."""
    with app_context():
        from app.models.users import hash_token
        from app.services.quote_delivery import deliver_quote_email

        # One delivery of this sending at a time, across consumers: a racing retry waits, then finds it sent.
        # Named after the link too, so that a lock left by a crashed worker never blocks "send again".
        with huey.lock_task(f"quote-email-{quote_id}-{hash_token(token)[:16]}"):
            deliver_quote_email(quote_id, token, message, retries_left=task.retries if task else 0)


@huey.task(retries=5, retry_delay=30, context=True)
def send_contract_email(contract_id, task=None):
    """E-mail the contract (PDF attached) to the customer who accepted its quote; never sent twice."""
    with app_context():
        from app.services.quote_delivery import deliver_contract_email

        with huey.lock_task(f"contract-email-{contract_id}"):
            done_key = f"contract-email-sent-{contract_id}"
            if huey.get(done_key, peek=True):
                return
            deliver_contract_email(contract_id)
            huey.put(done_key, "1")


@huey.task(retries=5, retry_delay=30, context=True)
def send_quote_reminder(quote_id, occurrence="", queued="", task=None):
    """Remind a quote's recipient once per sending (PDF attached, the link they have kept); retried while SMTP fails."""
    with app_context():
        from app.services.quote_reminder_delivery import deliver_quote_reminder

        # The log row, claimed before SMTP, is what prevents a second send; the lock only keeps racing copies
        # of this job (its retries) apart. Named after when the job was queued, so that a lock left by a dead
        # worker never blocks the job a later pass queues again for the same reminder.
        with huey.lock_task(f"quote-reminder-{quote_id}-{occurrence}-{queued}"):
            deliver_quote_reminder(quote_id, occurrence, retries_left=task.retries if task else 0)


# --- periodic tasks: the consumer's scheduler starts them; each is idempotent, so a missed or doubled tick is harmless

# Made at import, so that `huey_consumer --flush-locks` knows them: a worker stopped in the middle of a pass
# (deploy, SIGTERM) leaves its lock behind, and the next start clears it instead of refusing every later pass.
AUTOMATION_LOCK = huey.lock_task("automation-rules")
DIGEST_LOCK = huey.lock_task("morning-digests")


@huey.periodic_task(crontab(minute="*/15"))
def run_automation_rules():
    """Every quarter hour: each enabled automation rule makes one pass over the whole dataset."""
    with app_context():
        from app.services.automation import run_all_rules

        with AUTOMATION_LOCK:  # one pass at a time, across consumers
            run_all_rules()


@huey.periodic_task(crontab(minute="*/15"))
def send_morning_digests():
    """Every quarter hour: users who asked for it get the day's agenda by e-mail once their morning comes."""
    with app_context():
        from app.services.digest import send_due_digests

        with DIGEST_LOCK:
            send_due_digests()
