"""Session helpers the domains share."""
from app.extensions import db


def commit_keeping_loaded():
    """Commit without expiring what is loaded: the answer to a write (a move, a call note) renders
    these very objects, and reloading each of them (deal, stages, customer, user) would cost a query apiece."""
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous
