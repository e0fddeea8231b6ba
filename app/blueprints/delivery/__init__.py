"""delivery blueprint: quote PDFs, sending quotes to customers, contracts."""
from app.blueprints.delivery.routes import bp

__all__ = ["bp"]
