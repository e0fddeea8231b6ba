"""admin blueprint."""
from app.blueprints.admin.routes import bp

__all__ = ["bp"]
