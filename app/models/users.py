"""Users, teams and invitations."""
import hashlib
import secrets
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import TimestampMixin, UTCDateTime, utcnow

ROLES = ("rep", "manager", "admin")
LOCALES = ("vi", "en")

_dummy_hashes = {}


def _password_hash_method():
    return current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"


def _dummy_hash():
    """A hash checked when there is no real one, so every failed sign-in costs the same time."""
    method = _password_hash_method()
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    return _dummy_hashes[method]


def hash_token(token):
    """SHA-256 of a random token: tokens are stored hashed, never in clear."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list["User"]] = relationship(back_populates="team", order_by="User.name")

    def __repr__(self):
        return f"<Team {self.name}>"


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('rep', 'manager', 'admin')", name="role"),
        CheckConstraint("locale IN ('vi', 'en')", name="locale"),
        Index("uq_users_calendar_token_hash", "calendar_token_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(10), default="rep")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # Part of the login cookie: rotating it ends every session of this user.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The private calendar feed's token, hashed (None: no feed); a new token revokes the old one.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))
    digest_enabled: Mapped[bool] = mapped_column(default=False)  # the morning e-mail of the day's agenda
    digest_sent_on: Mapped[date | None] = mapped_column()  # the local day the last digest went out

    team: Mapped[Team | None] = relationship(back_populates="members")

    def __repr__(self):
        return f"<User {self.email} {self.role}>"

    @property
    def is_active(self):
        return self.active

    @property
    def initials(self):
        return initials_of(self.name)

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def is_manager(self):
        return self.role == "manager"

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    def set_password(self, password):
        """Hash and store a new password; every other session of this user ends."""
        self.password_hash = generate_password_hash(password, method=_password_hash_method())
        self.end_sessions()

    def check_password(self, password):
        """True when the password matches; costs the same time when there is no password."""
        if not self.password_hash:
            check_password_hash(_dummy_hash(), password)
            return False
        return check_password_hash(self.password_hash, password)

    def end_sessions(self):
        """Invalidate every login cookie issued so far."""
        self.session_token = secrets.token_hex(16)

    @staticmethod
    def normalise_email(email):
        return (email or "").strip().lower()

    @classmethod
    def by_email(cls, email):
        """The user with this e-mail (case-insensitive), or None."""
        return db.session.scalar(select(cls).where(func.lower(cls.email) == cls.normalise_email(email)))

    @staticmethod
    def verify_dummy_password(password):
        """Spend the time of a password check, for an e-mail that has no account."""
        check_password_hash(_dummy_hash(), password)


class Invitation(db.Model):
    """A single-use link that lets an invited user choose a password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @classmethod
    def issue(cls, user, created_by, ttl_hours):
        """Create an invitation for user; returns (invitation, clear token). Older ones stop working."""
        for old in db.session.scalars(select(cls).where(cls.user_id == user.id, cls.used_at.is_(None))):
            old.used_at = utcnow()
        token = secrets.token_urlsafe(32)
        invitation = cls(
            user=user,
            token_hash=hash_token(token),
            created_by_id=created_by.id if created_by else None,
            expires_at=utcnow() + timedelta(hours=ttl_hours),
        )
        db.session.add(invitation)
        return invitation, token

    @classmethod
    def find_usable(cls, token):
        """The unused, unexpired invitation for this clear token, or None."""
        invitation = db.session.scalar(select(cls).where(cls.token_hash == hash_token(token or "")))
        if invitation is None or invitation.used_at is not None or invitation.expires_at <= utcnow():
            return None
        if not invitation.user.active:
            return None
        return invitation


def initials_of(name):
    """ "Nguyễn Văn An" → "NA": first and last word's first letters (the avatar on cards)."""
    parts = (name or "").split()
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()
