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


FTS_PROBE = 500  # words matching more customers than this are common


def customer_text_conditions(query, one_owner=False):
    """SQL conditions on Customer matching every word (or phone digits) of query, diacritics ignored.

    PostgreSQL: LIKE, which the pg_trgm GIN index answers. SQLite: the FTS5 trigram table gives the
    matching ids. One exception (one_owner: the search runs within one owner's customers): when the
    words are common (more than FTS_PROBE matches overall), walking that owner's customers newest
    first (index owner_id, updated_at) meets a page of matches sooner than reading every match.
    Words shorter than a trigram are LIKE on the folded column.
    """
    terms = search_terms(query)
    long_terms = [t for t in terms if len(t) >= _TRIGRAM]
    if long_terms and db.engine.dialect.name == "sqlite":
        match = literal_column("customers_fts").op("MATCH")(" AND ".join(_fts_phrase(t) for t in long_terms))
        short = [Customer.search_text.like(like_pattern(t), escape="\\") for t in terms if len(t) < _TRIGRAM]
        if not one_owner:
            return [Customer.id.in_(select(_FTS.c.rowid).where(match))] + short
        ids = db.session.scalars(select(_FTS.c.rowid).where(match).limit(FTS_PROBE + 1)).all()
        if len(ids) <= FTS_PROBE:
            return [Customer.id.in_(ids)] + short
    return [Customer.search_text.like(like_pattern(t), escape="\\") for t in terms]
