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


def static_url(filename):
    """URL of a static file with a content hash, so it can be cached for a year."""
    digest = _fingerprints.get(filename)
    if digest is None or current_app.debug:
        path = os.path.join(current_app.static_folder, filename)
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()[:12]
        _fingerprints[filename] = digest
    return url_for("static", filename=filename, v=digest)


def set_security_headers(response):
    """after_request hook: headers every response carries."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.endpoint != "static":
        # Policies for documents; a stylesheet or script ignores them, and a phone on 4G pays for each byte.
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint == "static":
        if request.args.get("v"):
            response.cache_control.no_cache = None  # send_file's default; the URL changes when the file does
            response.cache_control.public = True
            response.cache_control.max_age = 31536000
            response.cache_control.immutable = True
    elif "Cache-Control" not in headers:
        # Pages hold personal data: never store them in shared caches.
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response
