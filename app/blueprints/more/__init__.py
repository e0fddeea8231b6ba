"""more blueprint."""
from app.blueprints.more.routes import bp

__all__ = ["bp"]
