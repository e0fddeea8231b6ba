"""pipeline blueprint."""
from app.blueprints.pipeline.routes import bp

__all__ = ["bp"]
