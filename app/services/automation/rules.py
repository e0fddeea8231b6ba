"""The periodic rules that make tasks and notices: quote follow-up, new leads, renewals, birthdays.

Each takes a RulePass (app/services/automation/passes.py) and returns nothing; what it did is counted on the
pass. Candidates are read in id-ordered chunks with NOT EXISTS against automation_log; every write goes
through RulePass.record (one savepoint per chunk). A deactivated owner's tasks go to a stand-in
(RulePass.assignee), noted in the log. The stale deal flag is in app/services/automation/stale.py.
"""
import calendar
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.formatting import in_locale
from app.models import Contact, Contract, Customer, Deal, Quote
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.services.automation.passes import Planned, date_key, instant_key, instant_key_of, log_detail, quote_label

FOLLOW_UP_SUBJECT = _l("Call back about quote %(number)s")
RENEWAL_SUBJECT = _l("Renew contract %(number)s")
BIRTHDAY_SUBJECT = _l("Happy birthday to %(name)s")
LEAD_NOTICE = _l("New lead %(customer)s (owner: %(owner)s) has not been contacted within %(hours)s hours.")
NEW_LEAD_WINDOW = timedelta(days=7)  # older uncontacted leads are not "new": a first pass must not flood managers
FOLLOW_UP_WINDOW = timedelta(days=7)  # likewise, quotes sent long ago get no call when the rule is switched on


def _path(endpoint, **values):
    """A path of this app outside a request (a notification's link)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def quote_follow_up(run):
    """A quote sent after_days ago (and at most 7 days before that), still unanswered, still valid, its deal
    open → a call task for its owner, once per sending: sending it again starts a new cycle."""
    sent_before = run.now - timedelta(days=run.settings["after_days"])
    stmt = (select(Quote.id, Quote.number, Quote.revision, Quote.owner_id, Quote.customer_id, Quote.deal_id,
                   Quote.sent_at)
            .join(Deal, Deal.id == Quote.deal_id)
            .where(Quote.status.in_(LIVE_FOR_CUSTOMER), Quote.sent_at <= sent_before,
                   Quote.sent_at > sent_before - FOLLOW_UP_WINDOW, Quote.valid_until >= run.today,
                   Deal.closed_at.is_(None), run.not_logged(Quote.id, instant_key(Quote.sent_at))))
    # Due now, but never before 09:00: a call made by a night pass waits for the morning instead of
    # greeting the rep as overdue.
    due = max(run.now, run.at_work_hour())
    for rows in run.chunks(stmt, Quote.id):
        planned = []
        for row in rows:
            label, (assignee, instead_of) = quote_label(row.number, row.revision), run.assignee(row.owner_id)
            subject = run.text(FOLLOW_UP_SUBJECT, assignee.locale, number=label)
            planned.append(Planned(
                row.id, instant_key_of(row.sent_at), "task_created", assignee.id, row.customer_id,
                log_detail(label, instead_of=instead_of), activity=dict(
                    kind="call", subject=subject[:200], owner_id=assignee.id, customer_id=row.customer_id,
                    deal_id=row.deal_id, due_at=due)))
        run.record(planned)


def uncontacted_lead(run):
    """New leads nobody called, visited or met within after_hours of their creation → each manager of the
    owner's team (else each admin) hears once per owner and pass; every lead is logged, so counted once."""
    hours = run.settings["after_hours"]
    created_before = run.now - timedelta(hours=hours)
    stmt = (select(Customer.id, Customer.name, Customer.owner_id)
            .where(Customer.lifecycle == "lead", Customer.last_contact_at.is_(None),
                   Customer.created_at > created_before - NEW_LEAD_WINDOW, Customer.created_at <= created_before,
                   run.not_logged(Customer.id)))
    recipients_of, names, leads_of = {}, {}, {}
    for rows in run.chunks(stmt, Customer.id):
        planned = []
        for row in rows:
            if row.owner_id not in recipients_of:
                recipients_of[row.owner_id] = run.escalation(run.users[row.owner_id])
            recipients, names[row.id] = recipients_of[row.owner_id], row.name
            planned.append(Planned(row.id, "", "manager_notified" if recipients else "nobody_to_notify",
                                   row.owner_id, row.id, ", ".join(user.name for user in recipients)))
        for item in run.record(planned):
            leads_of.setdefault(item.user_id, []).append(item.subject_id)
    run.notify([notice for owner_id, leads in leads_of.items()
                for notice in _lead_notices(run, run.users[owner_id], leads, names, recipients_of[owner_id])])


def _lead_notices(run, owner, leads, names, recipients):
    """One notification per recipient about owner's leads: the lead by name, or a count linking to the list."""
    hours, notices = run.settings["after_hours"], []
    # The list filters by owner only for an active owner (app/services/customers/records.py CustomerFilter).
    listed = len(leads) > 1 and owner.active
    url = (_path("customers.index", owner=owner.id, lifecycle="lead") if listed
           else _path("customers.card", customer_id=leads[0]))
    for user in recipients:
        if len(leads) == 1:
            text = run.text(LEAD_NOTICE, user.locale, customer=names[leads[0]], owner=owner.name, hours=hours)
        else:
            with in_locale(user.locale):
                text = ngettext("%(num)d new lead of %(owner)s not contacted within %(hours)d h",
                                "%(num)d new leads of %(owner)s not contacted within %(hours)d h", len(leads),
                                owner=owner.name, hours=hours)
        notices.append(dict(user_id=user.id, kind="lead_uncontacted", url=url, text=text[:500],
                            created_at=run.now, read_at=None))
    return notices


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
            assignee, instead_of = run.assignee(row.owner_id)
            planned.append(Planned(
                row.id, row.end_date.strftime("%Y%m%d"), "task_created", assignee.id, row.customer_id,
                log_detail(f"{row.number} · {row.end_date:%d/%m/%Y}", instead_of=instead_of), activity=dict(
                    kind="task", subject=run.text(RENEWAL_SUBJECT, assignee.locale, number=row.number)[:200],
                    owner_id=assignee.id, customer_id=row.customer_id, deal_id=row.deal_id,
                    due_at=run.at_work_hour())))
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
                assignee, instead_of = run.assignee(row.owner_id)
                # str.format fills the (checked) template once: braces in a name stay literal text.
                task = dict(kind="task", subject=run.text(BIRTHDAY_SUBJECT, assignee.locale, name=row.name)[:200],
                            body=run.settings["template"].format(name=row.name, rep=assignee.name),
                            owner_id=assignee.id, customer_id=row.customer_id, deal_id=None,
                            due_at=run.at_work_hour())
                planned.append(Planned(row.id, f"{prefix}{year}", "task_created", assignee.id, row.customer_id,
                                       log_detail(row.name, instead_of=instead_of), activity=task))
            run.record(planned)
