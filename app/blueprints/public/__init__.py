"""public blueprint: the customer's quote page behind its link (no sign-in)."""
from app.blueprints.public.routes import bp

__all__ = ["bp"]
