"""customer_tools blueprint: merging duplicate customers and CSV import."""
from app.blueprints.customer_tools.routes import bp

__all__ = ["bp"]
