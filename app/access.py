"""Who may call which view: every view declares a policy, and requests are checked against it.

A view without a declared policy is refused (fail closed), and a test walks
`app.url_map` so that such a view never ships.
"""
from flask import abort, current_app, request
from flask_login import current_user

from app.extensions import login_manager

PUBLIC = "public"
SIGNED_IN = "signed_in"


def public(view):
    """Anyone, signed in or not, may call this view."""
    view.access_policy = PUBLIC
    return view


def signed_in(view):
    """Any active signed-in user may call this view; record scoping happens in the query."""
    view.access_policy = SIGNED_IN
    return view


def roles(*allowed):
    """Only signed-in users holding one of the given roles may call this view."""

    def decorate(view):
        view.access_policy = frozenset(allowed)
        return view

    return decorate


def policy_of(view):
    """The declared policy of a view function, or None."""
    return getattr(view, "access_policy", None)


def enforce_access_policy():
    """before_request hook: apply the matched view's declared policy."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    policy = policy_of(view)
    if policy is None:
        current_app.logger.error("view %s has no access policy; refusing", request.endpoint)
        abort(403)
    if policy == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if isinstance(policy, frozenset) and current_user.role not in policy:
        abort(403)
    return None
