"""automation blueprint."""
from app.blueprints.automation.routes import bp

__all__ = ["bp"]
