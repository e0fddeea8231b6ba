"""activities blueprint: quick call notes and visit check-in/out."""
from app.blueprints.activities.routes import bp

__all__ = ["bp"]
