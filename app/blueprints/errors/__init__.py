"""errors blueprint."""
from app.blueprints.errors.routes import bp

__all__ = ["bp"]
