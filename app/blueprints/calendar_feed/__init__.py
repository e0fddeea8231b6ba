"""calendar_feed blueprint."""
from app.blueprints.calendar_feed.routes import bp

__all__ = ["bp"]
