"""The second yardstick: a bare Flask + Jinja page of 50 customer cards read straight from sqlite3.

No extensions, no ORM, no sign-in, no compression: the floor of the stack itself, served by gunicorn with
the same settings as FieldCRM in the same bench run (`gunicorn bench.bare:app`). BARE_SQLITE_PATH names the
bench database; the cards are BARE_OWNER_EMAIL's 50 latest customers, as on /bench/floor.
"""
import os
import sqlite3
import threading
import time

from flask import Flask, g, render_template

app = Flask(__name__)
_local = threading.local()
CARDS = ("SELECT c.name, c.district FROM customers c JOIN users u ON u.id = c.owner_id "
         "WHERE u.email = ? ORDER BY c.updated_at DESC LIMIT 50")


def connection():
    """One sqlite3 connection per thread, opened once (as a connection pool would keep it)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = sqlite3.connect(f"file:{os.environ['BARE_SQLITE_PATH']}?mode=ro", uri=True,
                                             check_same_thread=False)
    return conn


@app.before_request
def _start_timer():
    g.started = time.perf_counter()


@app.after_request
def _server_timing(response):
    # The same Server-Timing as FieldCRM's bench mode: first before-request hook to last after-request hook.
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - g.started) * 1000:.2f}"
    return response


@app.route("/")
def cards():
    rows = connection().execute(CARDS, (os.environ.get("BARE_OWNER_EMAIL", "rep1@bench.fieldcrm.vn"),)).fetchall()
    return render_template("bare.html", cards=rows)


@app.route("/healthz")
def healthz():
    return "ok"
