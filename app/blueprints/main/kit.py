"""What every line of an agenda page shares, built once per request: URL patterns, translated words, the zone.

Today renders up to 60 lines; looking these up per line (url_for, gettext, flask.g) cost as much as its queries.
"""
from flask import g
from flask_babel import lazy_gettext as _l

from app.blueprints.activities.urls import note_url
from app.formatting import url_pattern, user_zone
from app.labels import ACTIVITY_KIND_LABELS, AGENDA_KIND_LABELS

AGENDA_WORDS = {
    "call": _l("Call"), "done": _l("Done"), "open": _l("Open"), "reschedule": _l("Reschedule"), "note": _l("Note"),
    "next_step": _l("Next step"), "stale": _l("Stale"), "viewed": _l("viewed"), "not_viewed": _l("not viewed yet"),
}
AGENDA_FORMATS = {  # translated once, filled per line with |format(day=…)
    "sent": _l("Sent %(day)s"), "ends": _l("Ends %(day)s"), "added": _l("Added %(day)s"),
    "in_stage": _l("In this stage since %(day)s"),
}
OPEN_ENDPOINTS = {"quote": ("quotes.show", "quote_id"), "approval": ("quotes.show", "quote_id"),
                  "deal": ("deals.show", "deal_id"), "contract": ("delivery.contract", "contract_id")}


class AgendaKit:
    def __init__(self, view):
        self.view = view
        self.zone = user_zone()
        self.words = {key: str(text) for key, text in AGENDA_WORDS.items()}
        self.formats = {key: str(text) for key, text in AGENDA_FORMATS.items()}
        self.chips = {**{k: str(v) for k, v in ACTIVITY_KIND_LABELS.items()},
                      **{k: str(v) for k, v in AGENDA_KIND_LABELS.items()}}
        self.done = url_pattern("main.done", "activity_id")
        self.form = url_pattern("main.reschedule_form", "activity_id", view=view)
        self.card = url_pattern("customers.card", "customer_id")
        self._open = {kind: url_pattern(*endpoint) for kind, endpoint in OPEN_ENDPOINTS.items()}

    def chip(self, item):
        return self.chips[item.activity_kind if item.kind == "activity" else item.kind]

    def open(self, item):
        """Where "Open" goes: the quote, deal or contract; else the customer's card."""
        if item.kind in self._open:
            return self._open[item.kind].format(item.id)
        return self.card.format(item.customer_id) if item.customer_id else "/"

    def note(self, item):
        """The note sheet for this line: it completes an activity, or notes a lead or a deal's next step."""
        return note_url(item.customer_id, item.deal_id, item.id if item.kind == "activity" else None, self.view)

    def day(self, value):
        return (value.astimezone(self.zone).date() if hasattr(value, "astimezone") else value).strftime("%d/%m/%Y")

    def time(self, value):
        return value.astimezone(self.zone).strftime("%H:%M")


def agenda_kit(view):
    """The request's AgendaKit for a view (today, tomorrow, week)."""
    if getattr(g, "_agenda_kit", None) is None or g._agenda_kit.view != view:
        g._agenda_kit = AgendaKit(view)
    return g._agenda_kit
