"""Signed-cookie sessions: tolerant of app servers whose clocks differ by a few seconds, never re-sent with static files.

Several app servers behind a load balancer never have exactly the same clock. itsdangerous' TimestampSigner
(2.2) refuses a signature whose timestamp is in the future as soon as a max_age is given ("Signature age -3 < 0
seconds", SignatureExpired), and Flask always reads the session cookie with max_age = PERMANENT_SESSION_LIFETIME:
a cookie set by a server 3 s ahead was dropped by the next request on a server 3 s behind, and the user was
sent back to the login page. SkewTolerantSigner accepts timestamps up to CLOCK_SKEW_SECONDS in the future (and
still refuses further ones, and still expires old ones); every timestamped value the app signs goes through
signing_serializer() below.

The app's other secret links (quote links, calendar feeds, invitations) are random tokens stored hashed with
their expiry in the database, not timestamped signatures; Flask-WTF's CSRF token is timestamped but read
without a time limit (WTF_CSRF_TIME_LIMIT = None) and only valid with the session that holds it.
"""
from datetime import datetime, timezone

from flask import request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

CLOCK_SKEW_SECONDS = 60  # how far in the future a signature may be dated (another server's clock ahead of ours)
# An unchanged session is re-signed (its 14 days restarted) at most this often, not on every request: signing
# and sending the cookie cost each page ~0.2 ms on the server and a Set-Cookie for the phone to parse.
REFRESH_SECONDS = 3600


class SkewTolerantSigner(TimestampSigner):
    """A TimestampSigner that takes a signature dated at most CLOCK_SKEW_SECONDS in the future as just made."""

    clock_skew = CLOCK_SKEW_SECONDS

    def unsign(self, signed_value, max_age=None, return_timestamp=False):
        value, timestamp = super().unsign(signed_value, max_age=None, return_timestamp=True)
        if max_age is not None:
            age = self.get_timestamp() - int(timestamp.timestamp())
            if age > max_age:
                raise SignatureExpired(f"Signature age {age} > {max_age} seconds", payload=value,
                                       date_signed=timestamp)
            if age < -self.clock_skew:
                raise SignatureExpired(f"Signature dated {-age} s in the future (> {self.clock_skew} s of clock skew)",
                                       payload=value, date_signed=timestamp)
        return (value, timestamp) if return_timestamp else value


class SkewTolerantSerializer(URLSafeTimedSerializer):
    default_signer = SkewTolerantSigner


def signing_serializer(secret_keys, salt, **kwargs):
    """The serializer for any timestamped value the app signs (session cookie, any future signed link)."""
    return SkewTolerantSerializer(secret_keys, salt=salt, **kwargs)


class AppSessionInterface(SecureCookieSessionInterface):
    """Session cookies read with SkewTolerantSigner; static files get no cookie and no `Vary: Cookie`; an unchanged
    session is re-sent once its signature is REFRESH_SECONDS old."""

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()),
                                               return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app, session):
        if session.modified or not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return session.modified
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or (datetime.now(timezone.utc) - signed_at).total_seconds() >= REFRESH_SECONDS

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = [*(app.config.get("SECRET_KEY_FALLBACKS") or []), app.secret_key]  # current key last, as Flask does
        return signing_serializer(keys, self.salt, serializer=self.serializer,
                                  signer_kwargs={"key_derivation": self.key_derivation,
                                                 "digest_method": self.digest_method})

    def save_session(self, app, session, response):
        if request.endpoint == "static":
            return None
        return super().save_session(app, session, response)
