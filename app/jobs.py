"""The jobs the worker runs: e-mails that must reach the customer even when SMTP is down for a while, and
the periodic tasks (the automation rules and the morning digest) on their schedule.

The worker is `.venv/bin/huey_consumer app.jobs.huey` (`make run` starts it next to gunicorn). The queue
(storage, immediate mode, enqueue by name) is app/queue.py; a job runs inside app_context(): the caller's
in immediate mode, else one of an app that module creates on first use.
"""
from huey import crontab

from app.models import CustomerImport, ProductImport
from app.models.users import hash_token
from app.queue import app_context, huey, init_app, job  # noqa: F401  (huey and init_app: the worker's and create_app's entry points)
from app.services.agenda.digest import send_due_digests
from app.services.automation.registry import run_all_rules
from app.services.common.import_jobs import remove_abandoned_uploads
from app.services.customers.imports import process_import as process_customer_import
from app.services.products.imports import process_import as process_product_import
from app.services.automation.reminder_delivery import deliver_quote_reminder
from app.services.quotes.delivery import deliver_contract_email, deliver_quote_email


@job(retries=5, retry_delay=30, context=True)
def send_quote_email(quote_id, token, message, task=None):
    """E-mail a sent quote (PDF attached, public link) to its recipient; retried while SMTP fails, never sent twice."""
    with app_context():
        # One delivery of this sending at a time, across consumers: a racing retry waits, then finds it sent.
        # Named after the link too, so that a lock left by a crashed worker never blocks "send again".
        with huey.lock_task(f"quote-email-{quote_id}-{hash_token(token)[:16]}"):
            deliver_quote_email(quote_id, token, message, retries_left=task.retries if task else 0)


@job(retries=5, retry_delay=30, context=True)
def send_contract_email(contract_id, task=None):
    """E-mail the contract (PDF attached) to the customer who accepted its quote; never sent twice."""
    with app_context():
        with huey.lock_task(f"contract-email-{contract_id}"):
            done_key = f"contract-email-sent-{contract_id}"
            if huey.get(done_key, peek=True):
                return
            deliver_contract_email(contract_id)
            huey.put(done_key, "1")


@job(retries=5, retry_delay=30, context=True)
def send_quote_reminder(quote_id, occurrence="", queued="", task=None):
    """Remind a quote's recipient once per sending (PDF attached, the link they have kept); retried while SMTP fails."""
    with app_context():
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
        with AUTOMATION_LOCK:  # one pass at a time, across consumers
            run_all_rules()


@huey.periodic_task(crontab(minute="*/15"))
def send_morning_digests():
    """Every quarter hour: users who asked for it get the day's agenda by e-mail once their morning comes."""
    with app_context():
        with DIGEST_LOCK:
            send_due_digests()


@huey.periodic_task(crontab(minute="7"))
def remove_abandoned_import_files():
    """Every hour: uploaded import files left for a day without being imported are deleted (personal data)."""
    with app_context():
        remove_abandoned_uploads([CustomerImport, ProductImport])


# --- imports: heavy, run in committed batches so that no user ever waits for the database's write lock

def _run_import(kind, process, import_id, actor_id, ip):
    with app_context():
        with huey.lock_task(f"{kind}-import-{import_id}"):
            process(import_id, actor_id, ip)


@job(retries=0)
def run_customer_import(import_id, actor_id, ip=None):
    """Import a queued customer CSV import in batches (progress on the import record; failed, never stuck, on error)."""
    _run_import("customer", process_customer_import, import_id, actor_id, ip)


@job(retries=0)
def run_product_import(import_id, actor_id, ip=None):
    """Upsert a queued price-list import in batches (progress on the import record; failed, never stuck, on error)."""
    _run_import("product", process_product_import, import_id, actor_id, ip)
