"""The only module that knows about htmx: page or fragment, response headers.

Keep every use of htmx-flask here so that replacing it is a one-file change.
"""
import json

from flask import render_template, request
from htmx_flask import Htmx
from jinja2_fragments.flask import render_block

htmx_ext = Htmx()


def is_htmx():
    """True for any request sent by htmx (including boosted links and history restores)."""
    return bool(getattr(request, "htmx", False))


def wants_fragment():
    """True when the response should be a fragment rather than a whole page.

    htmx also sends HX-Request for boosted navigation and for history restores;
    those need the whole page.
    """
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def fragment_target():
    """The id of the element a fragment request will be swapped into (HX-Target), or None for a page."""
    return getattr(request.htmx, "target", None) if wants_fragment() else None


def current_url_args():
    """Query arguments of the page an htmx request came from (HX-Current-URL), e.g. the board's filters."""
    from urllib.parse import parse_qs, urlsplit

    from werkzeug.datastructures import MultiDict

    current = getattr(getattr(request, "htmx", None), "current_url", None) or ""
    return MultiDict(parse_qs(urlsplit(current).query))


def render_page_or_block(template, block="content", **context):
    """Render the whole page, or only its named block for an htmx fragment request."""
    if wants_fragment():
        return render_block(template, block, **context)
    return render_template(template, **context)


def render_named_block(template, block, **context):
    """One named block of a page template, whatever the request: e.g. a section sent out of band."""
    return render_block(template, block, **context)


def redirect_for_htmx(location):
    """A response that makes htmx navigate the whole window (e.g. to the login page)."""
    return "", 204, {"HX-Redirect": location}


def trigger(response, events):
    """Ask htmx to fire client events (dict of name → detail) after this response."""
    response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=False)
    return response


def push_url(response, url):
    """Put url in the address bar (HX-Push-Url): e.g. a list's clean filter URL instead of every empty form field."""
    response.headers["HX-Push-Url"] = url
    return response


def reswap(response, value):
    """Set HX-Reswap directly: htmx-flask rejects valid values like 'afterbegin'."""
    response.headers["HX-Reswap"] = value
    return response


def retarget(response, selector, swap="outerHTML"):
    """Send this answer somewhere else than the request's target (HX-Retarget), e.g. a form with its errors."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def add_vary_header(response):
    """after_request hook: pages and fragments share URLs, so caches must key on HX-Request."""
    if request.endpoint != "static":
        response.vary.add("HX-Request")
    return response


def init_app(app):
    """Install htmx-flask's request class and the Vary header hook."""
    htmx_ext.init_app(app)
    app.after_request(add_vary_header)
