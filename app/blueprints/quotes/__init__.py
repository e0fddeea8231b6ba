"""quotes blueprint: the builder and list (routes), where a quote starts (entries), submitting and approving
(approvals)."""
from app.blueprints.quotes import approvals, entries  # noqa: F401  (register their views on bp)
from app.blueprints.quotes.routes import bp

__all__ = ["bp"]
