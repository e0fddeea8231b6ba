"""Money, dates and times the way Vietnamese (and English) readers expect them."""
from contextlib import contextmanager
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, has_app_context, has_request_context, request, url_for
from flask_babel import force_locale, get_locale, get_timezone, get_translations
from flask_babel import format_date as babel_format_date

from app.text import format_phone

DEFAULT_TZ = "Asia/Ho_Chi_Minh"


def _locale_code():
    """The current language code, looked up once per request (a board formats hundreds of amounts)."""
    if has_request_context():
        if "_locale_code" not in g:
            locale = get_locale()
            g._locale_code = locale.language if locale is not None else "vi"
        return g._locale_code
    return "vi"


def format_vnd(amount, locale=None):
    """Integer đồng as "12.345.000 ₫" (vi) or "12,345,000 ₫" (en). Refuses floats."""
    if amount is None:
        return ""
    if isinstance(amount, float):
        raise TypeError("money is integer đồng, never float")
    locale = locale or _locale_code()
    grouped = f"{int(amount):,}"
    if locale == "vi":
        grouped = grouped.replace(",", ".")
    return f"{grouped} ₫"


def zone_named(name):
    """ZoneInfo(name), or the default zone (Asia/Ho_Chi_Minh) for an empty or unknown name."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def user_zone():
    """The time zone of the current user (Asia/Ho_Chi_Minh by default)."""
    if has_request_context():
        if "_user_zone" not in g:
            tz = get_timezone()
            g._user_zone = ZoneInfo(str(tz)) if tz is not None else None
        if g._user_zone is not None:
            return g._user_zone
    if has_app_context():
        return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TZ))
    return ZoneInfo(DEFAULT_TZ)


def to_local(value, zone=None):
    """An aware datetime converted to the user's zone (naive input is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone or user_zone())


def format_date(value, zone=None):
    """dd/mm/yyyy; datetimes are first moved to the user's time zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value, zone).date()
    return value.strftime("%d/%m/%Y")


def format_time(value, zone=None):
    """HH:MM in the user's time zone."""
    if value is None:
        return ""
    return to_local(value, zone).strftime("%H:%M")


def format_datetime(value, zone=None):
    """dd/mm/yyyy HH:MM in the user's time zone."""
    if value is None:
        return ""
    local = to_local(value, zone)
    return local.strftime("%d/%m/%Y %H:%M")


def local_today(zone=None):
    """Today's date where the user is."""
    return datetime.now(zone or user_zone()).date()


def format_weekday(day):
    """The day of the week in the user's language: "Thứ Hai", "Monday"."""
    return babel_format_date(day, "EEEE")


def parse_date(text):
    """A dd/mm/yyyy (or ISO yyyy-mm-dd) string as a date, or None."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def request_translations():
    """Flask-Babel's translations for this request, looked up once (templates call _() hundreds of times)."""
    if not has_request_context():
        return get_translations()
    if "_translations" not in g:
        g._translations = get_translations()
    return g._translations


_SLOT = 987654321  # an id no route has: url_pattern() swaps it for "{}"


def url_pattern(endpoint, slot, **values):
    """url_for(endpoint) with argument `slot` left as "{}", built once per request.

    Lists that render hundreds of links to the same route fill the pattern with str.format
    instead of building each URL through the router.
    """
    cache = g.setdefault("_url_patterns", {}) if has_request_context() else {}
    key = (endpoint, slot, tuple(sorted(values.items())))
    if key not in cache:
        cache[key] = url_for(endpoint, **{slot: _SLOT}, **values).replace(str(_SLOT), "{}")
    return cache[key]


_fixed_urls = {}


def fixed_url(endpoint):
    """url_for(endpoint) of a route without arguments, built once per script root: the shell links the same ten."""
    key = (endpoint, has_request_context() and request.script_root)
    url = _fixed_urls.get(key)
    if url is None:
        url = _fixed_urls[key] = url_for(endpoint)
    return url


def cached_gettext(text):
    """gettext for strings a template repeats per row: translated once per request."""
    cache = g.setdefault("_gettext_cache", {}) if has_request_context() else {}
    if text not in cache:
        cache[text] = request_translations().ugettext(text)
    return cache[text]


def label_once(label):
    """str() of a lazily translated label (labels.py), once per request: lists show the same few labels per row."""
    if not has_request_context():
        return str(label)
    cache = g.setdefault("_label_cache", {})
    key = id(label)
    if key not in cache:
        cache[key] = str(label)
    return cache[key]


def init_app(app):
    """Make the formatters available to templates as filters, and template gettext cheaper."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters.update(
        vnd=format_vnd, date=format_date, time=format_time, datetime=format_datetime, phone=format_phone,
        weekday=format_weekday,
    )
    app.jinja_env.globals.update(local_today=local_today, isinstance=isinstance, date_type=date, url_pattern=url_pattern,
                                 fixed_url=fixed_url, gettext_once=cached_gettext, label_once=label_once)


@contextmanager
def in_locale(code):
    """Everything inside speaks `code` (a customer's e-mail or PDF rendered during a rep's request).

    Flask-Babel's force_locale switches gettext; the per-request caches of this module (translations,
    language code, repeated strings) are set aside too, and both come back afterwards.
    """
    cached = ("_translations", "_locale_code", "_gettext_cache", "_label_cache")
    saved = {key: g.pop(key) for key in cached if has_app_context() and key in g}
    try:
        with force_locale(code):
            yield
    finally:
        if has_app_context():
            for key in cached:
                g.pop(key, None)
            for key, value in saved.items():
                setattr(g, key, value)
