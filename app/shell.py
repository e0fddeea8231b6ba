"""The shell's fixed markup (top bar without the bell and avatar, tab bar without the Today count), rendered once
per language, active tab and search box, then reused: every page paid for its links, words and icons anew."""
from flask import current_app, has_request_context, request
from markupsafe import Markup

BADGE_SLOT = "\x00today-badge\x00"  # where the live Today count goes; no template output contains a NUL
_pieces = {}


def shell_pieces(locale, section, search_hidden):
    """{"topbar": Markup, "tabs_before_badge": Markup, "tabs_after_badge": Markup} for this page's shell."""
    key = (locale, section, bool(search_hidden), has_request_context() and request.script_root)
    pieces = _pieces.get(key)
    if pieces is None or current_app.debug:
        module = current_app.jinja_env.get_template("_shell.html").module
        before, after = str(module.tabbar(section, Markup(BADGE_SLOT))).split(BADGE_SLOT)
        pieces = _pieces[key] = {"topbar": Markup(str(module.topbar(search_hidden))),
                                 "tabs_before_badge": Markup(before), "tabs_after_badge": Markup(after)}
    return pieces


def init_app(app):
    app.jinja_env.globals["shell_pieces"] = shell_pieces
