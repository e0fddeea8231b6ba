"""notifications blueprint."""
from app.blueprints.notifications.routes import bp

__all__ = ["bp"]
