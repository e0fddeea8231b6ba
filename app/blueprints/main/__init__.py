"""main blueprint."""
from app.blueprints.main.routes import bp

__all__ = ["bp"]
