"""Translated labels of stored codes (roles, lifecycles, activity kinds): one source for forms and pages."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

ROLE_LABELS = {"rep": _l("Sales rep"), "manager": _l("Manager"), "admin": _l("Administrator")}
LIFECYCLE_LABELS = {"lead": _l("Lead"), "prospect": _l("Prospect"), "customer": lazy_pgettext("lifecycle", "Customer"), "churned": _l("Churned")}
ACTIVITY_KIND_LABELS = {
    "call": _l("Call"), "visit": _l("Visit"), "meeting": _l("Meeting"), "email": _l("Email"),
    "zalo": "Zalo", "note": _l("Note"), "task": _l("Task"),
}
OUTCOME_LABELS = {
    "reached": _l("Reached"), "no_answer": _l("No answer"), "busy": _l("Busy"), "call_back": _l("Call back"),
    "not_interested": _l("Not interested"),
}

QUOTE_STATUS_LABELS = {
    "draft": _l("Draft"), "pending_approval": _l("Pending approval"), "approved": _l("Approved"), "sent": _l("Sent"),
    "viewed": _l("Viewed"), "accepted": _l("Accepted"), "declined": _l("Declined"), "expired": _l("Expired"),
    "superseded": _l("Superseded"),
}

# What an agenda line is, when it is not an activity (those show their kind: call, visit …).
AGENDA_KIND_LABELS = {
    "quote": _l("Quote"), "approval": _l("Approval"), "lead": _l("New lead"), "deal": _l("Deal"),
    "contract": _l("Contract"), "birthday": _l("Birthday"),
}


def init_app(app):
    """Make the label dictionaries available to templates."""
    app.jinja_env.globals.update(
        role_labels=ROLE_LABELS, lifecycle_labels=LIFECYCLE_LABELS, activity_kind_labels=ACTIVITY_KIND_LABELS,
        outcome_labels=OUTCOME_LABELS, quote_status_labels=QUOTE_STATUS_LABELS, agenda_kind_labels=AGENDA_KIND_LABELS,
    )
