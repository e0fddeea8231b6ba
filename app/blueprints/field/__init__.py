"""field blueprint."""
from app.blueprints.field.routes import bp

__all__ = ["bp"]
