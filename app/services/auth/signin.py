"""Who is signing in: one place that checks e-mail, password and whether the account is active."""
from app.models import User


def authenticate(email, password):
    """The active user with this e-mail and password, or None.

    Every failure (unknown e-mail, wrong password, deactivated account) costs one
    password check, so timing does not tell which accounts exist.
    """
    user = User.by_email(email)
    if user is None:
        User.verify_dummy_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user
