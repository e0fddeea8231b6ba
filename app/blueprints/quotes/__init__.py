"""quotes blueprint."""
from app.blueprints.quotes.routes import bp

__all__ = ["bp"]
