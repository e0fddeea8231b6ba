"""Signed-cookie sessions that are never re-sent with static files."""
from flask import request
from flask.sessions import SecureCookieSessionInterface


class AppSessionInterface(SecureCookieSessionInterface):
    """Skip refreshing the session cookie on static files: they are cached publicly for a year."""

    def should_set_cookie(self, app, session):
        if request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)
