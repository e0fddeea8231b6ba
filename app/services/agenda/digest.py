"""The morning digest: once a local day, from 07:00 (and before 11:00), users who asked for it get the day's agenda by e-mail.

The periodic job (app/jobs.py send_morning_digests, every 15 minutes) calls send_due_digests(). Each user's
day is claimed with a conditional UPDATE before anything is sent, so two workers never send it twice; when
SMTP fails the claim is given back and the next tick tries again. A day with nothing to do sends nothing.
"""
from datetime import date, datetime, time
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import gettext, ngettext
from sqlalchemy import or_, select, update

from app.extensions import db
from app.formatting import format_date, format_datetime, format_time, in_locale
from app.labels import ACTIVITY_KIND_LABELS
from app.mail import send_mail
from app.models import User
from app.models.base import utcnow
from app.services.agenda.today import build_agenda, zone_of

DIGEST_HOUR = 7  # local time from which the morning e-mail goes out
DIGEST_LAST_HOUR = 11  # from this hour the day's e-mail is skipped (the day counts as done), never sent late
ITEMS_PER_SECTION = 5




def send_due_digests(now=None):
    """Send every digest that is due at `now`; returns how many e-mails went out."""
    now = now or utcnow()
    sent = 0
    users = db.session.scalars(select(User).where(User.active.is_(True), User.digest_enabled.is_(True))
                               .order_by(User.id)).all()
    for user in users:
        local = now.astimezone(zone_of(user))
        if local.time() < time(DIGEST_HOUR) or user.digest_sent_on == local.date():
            continue
        previous = user.digest_sent_on
        if not _claim(user.id, local.date()):
            continue  # another worker has this day
        if local.time() >= time(DIGEST_LAST_HOUR):
            continue  # turned on in the evening, or no worker all morning: a "good morning" at night helps nobody
        try:
            sent += send_digest(user, now)
        except Exception:  # noqa: BLE001 - SMTP down, or anything else: give the day back, retry next tick
            db.session.rollback()
            _release(user.id, local.date(), previous)
            current_app.logger.exception("morning digest for user %s not sent; retrying on the next run", user.id)
    return sent


def _claim(user_id, today):
    """Mark today's digest as taken, unless someone already did: True for the one caller that got it."""
    result = db.session.execute(
        update(User).where(User.id == user_id, or_(User.digest_sent_on.is_(None), User.digest_sent_on != today))
        .values(digest_sent_on=today), execution_options={"synchronize_session": False})
    db.session.commit()
    return result.rowcount == 1


def _release(user_id, today, previous):
    """Give back a claimed day (the mail failed), unless it has changed meanwhile."""
    db.session.execute(
        update(User).where(User.id == user_id, User.digest_sent_on == today).values(digest_sent_on=previous),
        execution_options={"synchronize_session": False})
    db.session.commit()


def send_digest(user, now):
    """E-mail user the agenda at `now`, in their language; 0 (nothing sent) when the agenda is empty, else 1."""
    zone = zone_of(user)
    agenda = build_agenda(user, now=now)
    if not agenda.sections:
        return 0
    today = now.astimezone(zone).date()
    with in_locale(user.locale):
        context = dict(user=user, sections=[_section(s, zone, today) for s in agenda.sections],
                       day=format_date(today), link=_absolute("/"), settings_link=_absolute(_settings_path()))
        subject = _subject(agenda.sections)
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context, locale=user.locale)
    send_mail(user.email, subject, text, html=html)
    return 1


def _subject(sections):
    """ "Your day: 3 overdue, 5 due today" — the two activity counts first, then the other sections."""
    parts = []
    for section in sections:
        if section.key == "overdue":
            parts.append(ngettext("%(num)s overdue", "%(num)s overdue", section.total))
        elif section.key == "today":
            parts.append(ngettext("%(num)s for today", "%(num)s for today", section.total))
        else:
            parts.append(f"{section.title} ({section.total})")
    return gettext("Your day: %(parts)s", parts=", ".join(parts[:3]))


def _section(section, zone, today):
    """What the e-mail shows of a section: title, total, its first items with absolute links."""
    items = [SimpleNamespace(title=item.title, subtitle=item.subtitle, when=_when(item.when, zone, today),
                             url=_absolute(item.url), kind=_kind(item)) for item in section.items[:ITEMS_PER_SECTION]]
    return SimpleNamespace(title=str(section.title), total=section.total, items=items,
                           more=max(section.total - len(items), 0))


def _kind(item):
    kind = getattr(item, "activity_kind", None)
    return str(ACTIVITY_KIND_LABELS[kind]) if kind in ACTIVITY_KIND_LABELS else None


def _when(value, zone, today):
    """A time today as 14:30, another moment as 21/11/2026 14:30, a day as 21/11/2026 (the user's zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_time(value, zone) if value.astimezone(zone).date() == today else format_datetime(value, zone)
    if isinstance(value, date):
        return format_date(value)
    return ""


def _absolute(path):
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _settings_path():
    return current_app.url_map.bind("localhost").build("calendar_feed.settings", {})
