"""deals blueprint."""
from app.blueprints.deals.routes import bp

__all__ = ["bp"]
