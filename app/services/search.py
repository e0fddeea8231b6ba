"""Diacritic-insensitive matching on customers.search_text through the database's own text index."""
from sqlalchemy import column, literal_column, select, table

from app.extensions import db
from app.models import Customer
from app.text import search_terms

_FTS = table("customers_fts", column("rowid"))
_TRIGRAM = 3  # FTS5's trigram tokenizer and pg_trgm index substrings of at least 3 characters


def like_pattern(term):
    """%term% with LIKE's wildcards escaped (use with escape="\\")."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_phrase(term):
    return '"' + term.replace('"', '""') + '"'


def customer_text_conditions(query):
    """SQL conditions on Customer matching every word (or phone digits) of query, diacritics ignored.

    SQLite: words of 3+ characters go through the FTS5 trigram table in one MATCH; PostgreSQL:
    LIKE, which the pg_trgm GIN index answers. Shorter words are plain LIKE on the folded column.
    """
    terms = search_terms(query)
    long_terms = [t for t in terms if len(t) >= _TRIGRAM]
    conditions = []
    if long_terms and db.engine.dialect.name == "sqlite":
        match = " AND ".join(_fts_phrase(t) for t in long_terms)
        conditions.append(Customer.id.in_(select(_FTS.c.rowid).where(literal_column("customers_fts").op("MATCH")(match))))
        terms = [t for t in terms if len(t) < _TRIGRAM]
    conditions += [Customer.search_text.like(like_pattern(t), escape="\\") for t in terms]
    return conditions
