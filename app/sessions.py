"""Signed-cookie sessions that are never re-sent with static files."""
from flask import request
from flask.sessions import SecureCookieSessionInterface


class AppSessionInterface(SecureCookieSessionInterface):
    """Leave static files alone: no session cookie and no `Vary: Cookie`, so browsers cache them for a year."""

    def save_session(self, app, session, response):
        if request.endpoint == "static":
            return None
        return super().save_session(app, session, response)
