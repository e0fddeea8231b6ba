"""What every automation rule shares: the pass's clock, zone and people, chunked reads, and doing a thing once.

Idempotency lives in automation_log's unique key (rule, subject_id, occurrence): candidates are selected
with NOT EXISTS against it, and each action's log row is inserted in the same savepoint as what the
action creates. A concurrent pass that inserted the same key first makes our insert fail: that item is
rolled back alone and skipped, so a task or an e-mail is never made twice.
"""
import json
from dataclasses import dataclass
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, insert, select, tuple_
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.formatting import in_locale
from app.models import Activity, AutomationLog, Notification, User

CHUNK = 500  # candidates read and written per round trip: bounded memory, few statements
WORK_HOUR = 9  # tasks the rules create are due at 09:00 local time, the start of a rep's day
DETAIL_MAX = 300  # automation_log.detail's length


@dataclass
class Planned:
    """One action on one subject: its log key, and the activity it creates (its values), if any."""

    subject_id: int
    occurrence: str
    action: str
    user_id: int | None = None
    customer_id: int | None = None
    detail: str | None = None
    activity: dict | None = None


def quote_label(number, revision):
    """BG-2026-00012, or BG-2026-00012 v2 for a later revision (as Quote.label)."""
    return number if revision == 1 else f"{number} v{revision}"


def date_key(column):
    """SQL: a date column as "YYYYMMDD", the occurrence key of a dated event (Python: day.strftime("%Y%m%d"))."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYYMMDD")
    return func.strftime("%Y%m%d", column)


def instant_key(column):
    """SQL: a timestamp as "YYYYMMDDTHHMMSS" (UTC, as stored), the occurrence key of a moment (e.g. a quote's
    sending, a deal's entry into its stage); instant_key_of() makes the same key in Python."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, 'YYYYMMDD"T"HH24MISS')
    return func.strftime("%Y%m%dT%H%M%S", column)


def instant_key_of(moment):
    """The occurrence key of an aware datetime, as instant_key() computes it in SQL (15 characters)."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S")


def log_detail(text, **notes):
    """A log row's detail: text (a number, a name: data, shown as is) plus notes the log page words in the
    reader's language (app/services/automation/log.py). Stored as JSON only when there are notes."""
    notes = {key: value[:60] if isinstance(value, str) and key != "error" else value
             for key, value in notes.items() if value is not None}
    if not notes:
        return (text or "")[:DETAIL_MAX] or None
    notes["text"] = (text or "")[:60]
    encoded = json.dumps(notes, ensure_ascii=False)
    while len(encoded) > DETAIL_MAX and notes.get("error"):  # trim the (technical) error, never the structure
        notes["error"] = notes["error"][:max(len(notes["error"]) - (len(encoded) - DETAIL_MAX) - 1, 0)]
        encoded = json.dumps(notes, ensure_ascii=False)
    return encoded


def detail_notes(detail):
    """The notes of a detail made by log_detail() ({"text": …, …}); {"text": detail} for a plain one."""
    if detail and detail.startswith("{"):
        try:
            notes = json.loads(detail)
        except ValueError:
            notes = None
        if isinstance(notes, dict):
            return notes
    return {"text": detail or ""}


class RulePass:
    """One rule's run: `now`, the business zone and day, the rule's settings, the users, and recording."""

    def __init__(self, rule, settings, now, all_settings=None):
        self.rule = rule
        self.settings = settings
        self.all_settings = all_settings or {rule: settings}  # a rule may read another's (the reminder: follow-up days)
        self.now = now
        self.zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        self.today = now.astimezone(self.zone).date()
        self.counts = {}  # what the rule did, by kind: {"task_created": 3, "cleared": 1}
        self.after_commit = []  # callables run once the rule's transaction is committed (queueing e-mails)
        self._users = None
        self._phrases = {}
        self._stand_ins = {}

    @property
    def users(self):
        """Every user by id, loaded once per pass (owners, managers, admins: a few hundred rows at most)."""
        if self._users is None:
            self._users = {user.id: user for user in db.session.scalars(select(User).order_by(User.id))}
        return self._users

    def escalation(self, owner):
        """Who stands above owner: the active managers of their team, else the active admins (lowest id first)."""
        others = [user for user in self.users.values() if user.active and user.id != owner.id]
        managers = [user for user in others if user.role == "manager" and owner.team_id is not None
                    and user.team_id == owner.team_id]
        return managers or [user for user in others if user.role == "admin"]

    def assignee(self, owner_id):
        """(who gets a task meant for owner_id, the owner's name when that is someone else): a deactivated
        owner's work goes to an active manager of their team, else to an active admin."""
        owner = self.users[owner_id]
        if owner.active:
            return owner, None
        if owner_id not in self._stand_ins:
            above = self.escalation(owner)
            self._stand_ins[owner_id] = (above[0], owner.name) if above else (owner, None)
        return self._stand_ins[owner_id]

    def at_work_hour(self, day=None):
        """09:00 local time on day (today by default), as an aware datetime."""
        return datetime.combine(day or self.today, time(WORK_HOUR), tzinfo=self.zone)

    def text(self, message, locale, **values):
        """A module-level lazy message translated into locale (once per pass) and filled with values."""
        key = (id(message), locale)
        if key not in self._phrases:
            with in_locale(locale):
                self._phrases[key] = str(message)
        return self._phrases[key] % values if values else self._phrases[key]

    def not_logged(self, subject_id, occurrence=""):
        """SQL: this rule has not acted on the subject for this occurrence yet (the unique index answers it)."""
        return ~exists().where(AutomationLog.rule == self.rule, AutomationLog.subject_id == subject_id,
                               AutomationLog.occurrence == occurrence)

    def chunks(self, stmt, id_column, size=CHUNK):
        """Rows of stmt in id order, size at a time (keyset: each round starts after the last id seen)."""
        last = None
        while True:
            page = stmt if last is None else stmt.where(id_column > last)
            rows = db.session.execute(page.order_by(id_column).limit(size)).all()
            if rows:
                yield rows
            if len(rows) < size:
                return
            last = rows[-1][0]

    def notify(self, notifications):
        """Insert notifications (dicts of Notification values) in the rule's transaction."""
        if notifications:
            db.session.execute(insert(Notification), notifications)

    def record(self, planned):
        """Create each planned action with its log row; returns the planned actions that were recorded.

        The whole chunk goes in one savepoint; when a concurrent pass logged one of its items first,
        the chunk is redone item by item and the items logged elsewhere are skipped. Core inserts
        (executemany), not ORM objects: a first pass over a large database creates thousands of rows.
        """
        if not planned:
            return []
        try:
            with db.session.begin_nested():
                self._insert(planned)
            done = planned
        except IntegrityError:
            done = []
            for item in planned:
                try:
                    with db.session.begin_nested():
                        self._insert([item])
                except IntegrityError:
                    self._log_only(item)  # that pass made the task or sent the e-mail: we make none
                    continue
                done.append(item)
        for item in done:
            self.counts[item.action] = self.counts.get(item.action, 0) + 1
        return done

    def _insert(self, planned):
        stamps = {"created_at": self.now, "updated_at": self.now}
        activities = {self._client_key(item): {**item.activity, "client_key": self._client_key(item), **stamps}
                      for item in planned if item.activity is not None}
        ids = {}
        if activities:
            db.session.execute(insert(Activity), list(activities.values()))
            # The key is unique per owner: it finds the new rows, and refuses a second copy of any of them.
            pairs = [(values["owner_id"], key) for key, values in activities.items()]
            ids = dict(db.session.execute(select(Activity.client_key, Activity.id)
                                          .where(tuple_(Activity.owner_id, Activity.client_key).in_(pairs))).all())
        db.session.execute(insert(AutomationLog), [dict(
            rule=self.rule, subject_id=item.subject_id, occurrence=item.occurrence, action=item.action,
            user_id=item.user_id, customer_id=item.customer_id, activity_id=ids.get(self._client_key(item)),
            detail=(item.detail or "")[:DETAIL_MAX] or None, created_at=self.now) for item in planned])

    def _log_only(self, item):
        """Log an item whose activity exists already (its key is taken) though its log row is gone, e.g.
        deleted with a merged customer: without a log row it would be tried again on every pass."""
        try:
            with db.session.begin_nested():
                self._insert([Planned(item.subject_id, item.occurrence, "already_done", item.user_id,
                                      item.customer_id, item.detail)])
        except IntegrityError:
            pass  # the usual case: a concurrent pass logged it first

    def _client_key(self, item):
        return f"auto:{self.rule}:{item.subject_id}:{item.occurrence}"

    @property
    def actions(self):
        return sum(self.counts.values())
