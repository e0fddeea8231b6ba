"""products blueprint: the price list (admins) and the quote builder's product picker."""
from app.blueprints.products.routes import bp

__all__ = ["bp"]
