"""The periodic rules that make tasks and notices: quote follow-up, new leads, renewals, birthdays, stale deals.

Each takes a RulePass (app/services/automation_pass.py) and returns nothing; what it did is counted on the
pass. Candidates are read in id-ordered chunks with NOT EXISTS against automation_log; every write goes
through RulePass.record (one savepoint per chunk) or, for stale deals, set-based UPDATE statements.
"""
import calendar
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, false, func, literal, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Activity, AutomationLog, Contact, Contract, Customer, Deal, Quote, Stage
from app.models.base import UTCDateTime
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.services.automation_pass import Planned, date_key, quote_label

FOLLOW_UP_SUBJECT = _l("Call back about quote %(number)s")
RENEWAL_SUBJECT = _l("Renew contract %(number)s")
BIRTHDAY_SUBJECT = _l("Happy birthday to %(name)s")
LEAD_NOTICE = _l("New lead %(customer)s (owner: %(owner)s) has not been contacted within %(hours)s hours.")
NEW_LEAD_WINDOW = timedelta(days=7)  # older uncontacted leads are not "new": a first pass must not flood managers


def _path(endpoint, **values):
    """A path of this app outside a request (a notification's link)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def quote_follow_up(run):
    """A quote sent after_days ago and still unanswered (and still valid) → a call task for its owner."""
    sent_before = run.now - timedelta(days=run.settings["after_days"])
    stmt = (select(Quote.id, Quote.number, Quote.revision, Quote.owner_id, Quote.customer_id, Quote.deal_id)
            .where(Quote.status.in_(LIVE_FOR_CUSTOMER), Quote.sent_at <= sent_before, Quote.valid_until >= run.today,
                   run.not_logged(Quote.id)))
    # Due now, but never before 09:00: a call made by a night pass waits for the morning instead of
    # greeting the rep as overdue.
    due = max(run.now, run.at_work_hour())
    for rows in run.chunks(stmt, Quote.id):
        planned = []
        for row in rows:
            label, owner = quote_label(row.number, row.revision), run.users[row.owner_id]
            subject = run.text(FOLLOW_UP_SUBJECT, owner.locale, number=label)
            planned.append(Planned(row.id, "", "task_created", owner.id, row.customer_id, label, activity=dict(
                kind="call", subject=subject[:200], owner_id=owner.id, customer_id=row.customer_id,
                deal_id=row.deal_id, due_at=due)))
        run.record(planned)


def _escalation(run, owner):
    """Who hears about an owner's neglected lead: their team's active managers, else the active admins."""
    others = [user for user in run.users.values() if user.active and user.id != owner.id]
    managers = [user for user in others if user.role == "manager" and owner.team_id is not None
                and user.team_id == owner.team_id]
    return managers or [user for user in others if user.role == "admin"]


def uncontacted_lead(run):
    """A new lead nobody called, visited or met within after_hours of its creation → its owner's managers."""
    hours = run.settings["after_hours"]
    created_before = run.now - timedelta(hours=hours)
    stmt = (select(Customer.id, Customer.name, Customer.owner_id)
            .where(Customer.lifecycle == "lead", Customer.last_contact_at.is_(None),
                   Customer.created_at > created_before - NEW_LEAD_WINDOW, Customer.created_at <= created_before,
                   run.not_logged(Customer.id)))
    recipients_of = {}
    for rows in run.chunks(stmt, Customer.id):
        planned = []
        for row in rows:
            owner = run.users[row.owner_id]
            if owner.id not in recipients_of:
                recipients_of[owner.id] = _escalation(run, owner)
            recipients = recipients_of[owner.id]
            notices = [dict(user_id=user.id, kind="lead_uncontacted", url=_path("customers.card", customer_id=row.id),
                            created_at=run.now, read_at=None,
                            text=run.text(LEAD_NOTICE, user.locale, customer=row.name, owner=owner.name,
                                          hours=hours)[:500]) for user in recipients]
            planned.append(Planned(row.id, "", "manager_notified" if recipients else "nobody_to_notify", owner.id,
                                   row.id, ", ".join(user.name for user in recipients), notifications=notices))
        run.record(planned)


def contract_renewal(run):
    """A contract ending within days_before → a renewal task for its owner; a new end date fires again."""
    last_day = run.today + timedelta(days=run.settings["days_before"])
    stmt = (select(Contract.id, Contract.number, Contract.owner_id, Contract.customer_id, Contract.deal_id,
                   Contract.end_date)
            .where(Contract.end_date >= run.today, Contract.end_date <= last_day,
                   run.not_logged(Contract.id, date_key(Contract.end_date))))
    for rows in run.chunks(stmt, Contract.id):
        planned = []
        for row in rows:
            owner = run.users[row.owner_id]
            planned.append(Planned(
                row.id, row.end_date.strftime("%Y%m%d"), "task_created", owner.id, row.customer_id,
                f"{row.number} · {row.end_date:%d/%m/%Y}", activity=dict(
                    kind="task", subject=run.text(RENEWAL_SUBJECT, owner.locale, number=row.number)[:200],
                    owner_id=owner.id, customer_id=row.customer_id, deal_id=row.deal_id, due_at=run.at_work_hour())))
        run.record(planned)


def birthday_month_days(day):
    """The birthday_md values celebrated on day: 28/02 also stands for 29/02 in a year without one."""
    days = {day.month * 100 + day.day}
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.add(229)
    return days


def birthday(run):
    """Customers' and contacts' birthdays today → a greeting task for the owner, with the rendered message."""
    days, year = birthday_month_days(run.today), run.today.year
    people = (
        ("c", Customer.id, select(Customer.id, Customer.name, Customer.id.label("customer_id"), Customer.owner_id)
         .where(Customer.birthday_md.in_(days), run.not_logged(Customer.id, f"c{year}"))),
        ("p", Contact.id, select(Contact.id, Contact.name, Contact.customer_id, Customer.owner_id)
         .join(Customer, Customer.id == Contact.customer_id)
         .where(Contact.birthday_md.in_(days), run.not_logged(Contact.id, f"p{year}"))),
    )
    for prefix, id_column, stmt in people:  # "c2026" / "p2026": a customer and a contact may share an id
        for rows in run.chunks(stmt, id_column):
            planned = []
            for row in rows:
                owner = run.users[row.owner_id]
                task = dict(kind="task", subject=run.text(BIRTHDAY_SUBJECT, owner.locale, name=row.name)[:200],
                            body=run.settings["template"].format(name=row.name, rep=owner.name), owner_id=owner.id,
                            customer_id=row.customer_id, deal_id=None, due_at=run.at_work_hour())
                planned.append(Planned(row.id, f"{prefix}{year}", "task_created", owner.id, row.customer_id, row.name,
                                       activity=task))
            run.record(planned)


def stale_condition(stages, now):
    """SQL: an open deal longer in its stage than the stage's stale_after_days, with no open activity ahead."""
    too_long = [and_(Deal.stage_id == stage.id, Deal.stage_entered_at < now - timedelta(days=stage.stale_after_days))
                for stage in stages if stage.is_open]
    scheduled = exists().where(Activity.deal_id == Deal.id, Activity.done_at.is_(None), Activity.due_at >= now)
    return and_(or_(*too_long) if too_long else false(), ~scheduled)


def _instant_key(column):
    """SQL: a timestamp as "YYYYMMDDTHHMMSS" (UTC, as stored): the occurrence of a deal's stay in a stage."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, 'YYYYMMDD"T"HH24MISS')
    return func.strftime("%Y%m%dT%H%M%S", column)


def stale_deal(run):
    """Flag stale deals (deals.stale_at = now) and unflag those no longer stale: three set-based statements.

    Core UPDATEs, not ORM changes: the deal's version column stays as it is, so a rep editing the
    deal meanwhile gets no false conflict. Each newly flagged deal is logged once per stay in a stage
    (occurrence: when it entered the stage); flagged again in the same stay, it is not logged again.
    """
    stale = stale_condition(db.session.scalars(select(Stage)).all(), run.now)
    deals = Deal.__table__
    keep_updated_at = {"updated_at": deals.c.updated_at}  # a flag is not an edit: no onupdate timestamp
    run.counts["deal_unflagged"] = db.session.execute(
        update(deals).where(deals.c.stale_at.is_not(None), not_(stale)).values(stale_at=None, **keep_updated_at)
    ).rowcount
    flagged = db.session.execute(
        update(deals).where(deals.c.stale_at.is_(None), stale).values(stale_at=run.now, **keep_updated_at)
    ).rowcount
    flagged_now = (select(literal(run.rule), Deal.id, _instant_key(Deal.stage_entered_at), literal("deal_flagged"),
                          Deal.owner_id, Deal.customer_id, func.substr(Deal.title, 1, 300),
                          literal(run.now, UTCDateTime)).where(Deal.stale_at == run.now))
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    logged = db.session.execute(dialect.insert(AutomationLog.__table__).from_select(
        ["rule", "subject_id", "occurrence", "action", "user_id", "customer_id", "detail", "created_at"], flagged_now
    ).on_conflict_do_nothing().execution_options(preserve_rowcount=True)).rowcount  # an INSERT's count: ask for it
    run.counts.update(deal_flagged=logged, deal_flagged_again=flagged - logged)
