"""quotes blueprint: the builder and list (routes), submitting and approving (approvals)."""
from app.blueprints.quotes import approvals  # noqa: F401  (registers its views on bp)
from app.blueprints.quotes.routes import bp

__all__ = ["bp"]
