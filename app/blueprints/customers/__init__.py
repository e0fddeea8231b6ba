"""customers blueprint."""
from app.blueprints.customers.routes import bp

__all__ = ["bp"]
