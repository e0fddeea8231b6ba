"""Likely duplicate customers: same phone, e-mail or tax code, or a very similar name."""
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from sqlalchemy import and_, or_, select

from app.extensions import db
from app.models import Contact, Customer
from app.services.common.scope import visible_owner_condition
from app.text import fold, normalise_phone

# Words that say what kind of company it is, not which one: "Công ty TNHH Đức Hưng" ≈ "Đức Hưng".
_LEGAL_WORDS = {
    "cong", "ty", "cty", "tnhh", "co", "phan", "cp", "mtv", "tm", "dv", "tmdv", "xnk", "sx", "thuong", "mai", "dich",
    "vu", "san", "xuat", "trach", "nhiem", "huu", "han", "thanh", "vien", "mot", "doanh", "nghiep", "tu", "nhan", "dntn",
    "hkd", "ho", "kinh", "jsc", "ltd", "llc", "company", "co.,", "corp", "group", "tap", "doan", "chi", "nhanh",
}
_NOT_WORD = re.compile(r"[^0-9a-z]+")
SIMILAR_NAME = 0.88  # SequenceMatcher ratio of core names at or above which two names are "very similar"


def core_name(name):
    """The distinctive part of a customer name, folded: "CÔNG TY TNHH Đức Hưng" → "duc hung"."""
    words = [w for w in _NOT_WORD.split(fold(name)) if w]
    core = [w for w in words if w not in _LEGAL_WORDS]
    return " ".join(core or words)


def normalise_tax_code(raw):
    """A tax code without spaces or dots ("0312 345 678-001" → "0312345678-001"), or None when empty."""
    text = re.sub(r"[\s.]+", "", raw or "")
    return text or None


def normalise_email(raw):
    text = (raw or "").strip().lower()
    return text or None


def names_similar(a, b):
    a, b = core_name(a), core_name(b)
    return bool(a) and bool(b) and (a == b or SequenceMatcher(None, a, b).ratio() >= SIMILAR_NAME)


@dataclass
class Duplicates:
    """Likely duplicates of a new or edited customer: the ones the user may see, and a count of the others."""

    visible: list = field(default_factory=list)  # [(customer, [reason, ...])], reasons: phone, email, tax_code, name
    hidden_count: int = 0  # matches owned outside the user's scope: counted, never shown

    def __bool__(self):
        return bool(self.visible or self.hidden_count)


def likely_duplicates(user, *, name=None, phone=None, email=None, tax_code=None, exclude_id=None, limit=5):
    """Customers that look like the one described, found with indexed lookups only."""
    from app.services.common.search import customer_text_conditions

    reasons = {}

    def note(customers, reason):
        for customer in customers:
            if customer.id != exclude_id:
                reasons.setdefault(customer, [])
                if reason not in reasons[customer]:
                    reasons[customer].append(reason)

    # phone: one number or several (a customer's main and other phone), in any format.
    typed = [phone] if isinstance(phone, str) else list(phone or ())
    phones = sorted({p for p in map(normalise_phone, filter(None, typed)) if p})
    if phones:
        note(db.session.scalars(select(Customer).where(or_(Customer.phone.in_(phones), Customer.phone_alt.in_(phones)))
                                .limit(limit * len(phones))), "phone")
        note(db.session.scalars(select(Customer).join(Contact).where(Contact.phone.in_(phones))
                                .limit(limit * len(phones))), "phone")
    if email := normalise_email(email):
        note(db.session.scalars(select(Customer).where(Customer.email == email).limit(limit)), "email")
    if tax_code := normalise_tax_code(tax_code):
        note(db.session.scalars(select(Customer).where(Customer.tax_code == tax_code).limit(limit)), "tax_code")
    core = core_name(name) if name else ""
    if core:
        # Candidates share the core name's longest word; similarity then decides, on a bounded set.
        longest = max(core.split(), key=len)
        candidates = db.session.scalars(
            select(Customer).where(*customer_text_conditions(longest)).order_by(Customer.id.desc()).limit(200))
        note([c for c in candidates if names_similar(c.name, name)], "name")

    visible_ids = set()
    if reasons:
        ids = [c.id for c in reasons]
        visible_ids = set(db.session.scalars(
            select(Customer.id).where(Customer.id.in_(ids), visible_owner_condition(Customer, user))))
    found = Duplicates()
    for customer, why in reasons.items():
        if customer.id in visible_ids:
            found.visible.append((customer, why))
        else:
            found.hidden_count += 1
    found.visible = found.visible[:limit]
    return found


# --- Many customers at once (CSV import) -------------------------------------------------------
# likely_duplicates() costs a few queries per customer; an import of 10,000 rows instead looks up
# every phone, e-mail and tax code of the file in chunked IN queries and reads existing names once.

LOOKUP_CHUNK = 500
NAME_COMPARISONS = 100  # similar-name comparisons per row at most (an index bucket can be large)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Candidate:
    """What a new customer would be matched by: normalised phones, e-mail and tax code, and the name."""

    name: str = ""
    phones: tuple = ()
    email: str | None = None
    tax_code: str | None = None


def _chunks(values, size=LOOKUP_CHUNK):
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _name_bucket(core):
    """Names are compared with those whose first two words start with the same letters: "duc hung" → "duc hun"."""
    return " ".join(word[:3] for word in core.split(" ")[:2])


class NameIndex:
    """Core names → a reference (customer id or row number): equal core names, or very similar ones.

    Similar names are looked for among names whose first two words start alike and have a length a ratio of
    SIMILAR_NAME allows, at most NAME_COMPARISONS of them. Unlike names_similar(), names whose
    numbers differ are never similar in bulk: "Nhà thuốc An Khang 12" and "… 14" are two branches.
    """

    def __init__(self):
        self._exact = {}
        self._buckets = {}  # (first letters, its numbers) → length → [(core, ref)]

    def add(self, name, ref, core=None):
        core = core if core is not None else core_name(name or "")
        if core:
            self._exact.setdefault(core, ref)
            # The numbers are part of the key: "Khách hàng 1" … "Khách hàng 50000" are never compared with each other.
            by_length = self._buckets.setdefault((_name_bucket(core), tuple(_DIGITS.findall(core))), {})
            by_length.setdefault(len(core), []).append((core, ref))

    def find(self, name, core=None):
        """The reference of the first name equal or very similar to name, or None."""
        core = core if core is not None else core_name(name or "")
        if not core:
            return None
        if core in self._exact:
            return self._exact[core]
        by_length = self._buckets.get((_name_bucket(core), tuple(_DIGITS.findall(core))))
        if not by_length:
            return None
        size = len(core)
        # ratio ≤ 2·min(len)/(sum of lens): only these lengths can reach SIMILAR_NAME.
        shortest, longest = int(size * SIMILAR_NAME / (2 - SIMILAR_NAME)), int(size * (2 - SIMILAR_NAME) / SIMILAR_NAME) + 1
        matcher = SequenceMatcher(None)
        matcher.set_seq2(core)  # the row's name is analysed once, the candidates are compared against it
        compared = 0
        for length in range(shortest, longest + 1):
            for other, ref in by_length.get(length, ()):
                compared += 1
                if compared > NAME_COMPARISONS:
                    return None
                matcher.set_seq1(other)
                if matcher.quick_ratio() >= SIMILAR_NAME and matcher.ratio() >= SIMILAR_NAME:
                    return ref
        return None


def existing_duplicates(candidates):
    """For each candidate, (customer id, [reasons]) of the existing customer it most likely repeats, or None.

    Looks at every customer, whoever owns it (the caller decides what to reveal): phones,
    e-mails and tax codes in chunks of LOOKUP_CHUNK, names in one pass over the customers table.
    """
    phones = {p for c in candidates for p in c.phones if p}
    emails = {c.email for c in candidates if c.email}
    tax_codes = {c.tax_code for c in candidates if c.tax_code}
    by_phone, by_email, by_tax = {}, {}, {}
    for chunk in _chunks(phones):
        rows = db.session.execute(select(Customer.id, Customer.phone, Customer.phone_alt)
                                  .where(or_(Customer.phone.in_(chunk), Customer.phone_alt.in_(chunk))))
        for customer_id, phone, phone_alt in rows:
            for value in (phone, phone_alt):
                if value in phones:
                    by_phone[value] = min(by_phone.get(value, customer_id), customer_id)
        for customer_id, phone in db.session.execute(select(Contact.customer_id, Contact.phone).where(Contact.phone.in_(chunk))):
            by_phone[phone] = min(by_phone.get(phone, customer_id), customer_id)
    for chunk in _chunks(emails):
        for customer_id, email in db.session.execute(select(Customer.id, Customer.email).where(Customer.email.in_(chunk))):
            by_email[email] = min(by_email.get(email, customer_id), customer_id)
    for chunk in _chunks(tax_codes):
        for customer_id, tax_code in db.session.execute(select(Customer.id, Customer.tax_code).where(Customer.tax_code.in_(chunk))):
            by_tax[tax_code] = customer_id
    names = _existing_name_index(candidates)

    found = []
    for candidate in candidates:
        reasons = {}
        for phone in candidate.phones:
            if phone in by_phone:
                reasons.setdefault(by_phone[phone], []).append("phone")
        if candidate.email in by_email:
            reasons.setdefault(by_email[candidate.email], []).append("email")
        if candidate.tax_code in by_tax:
            reasons.setdefault(by_tax[candidate.tax_code], []).append("tax_code")
        by_name = names.find(candidate.name)
        if by_name is not None:
            reasons.setdefault(by_name, []).append("name")
        if not reasons:
            found.append(None)
            continue
        best = min(reasons, key=lambda customer_id: (-len(reasons[customer_id]), customer_id))
        found.append((best, list(dict.fromkeys(reasons[best]))))
    return found


NAME_PREFILTER_BUCKETS = 20


def _existing_name_index(candidates):
    """A NameIndex of existing customers whose core name could match one of the candidates' (one streamed read).

    A few candidates (a preview) read only the customers whose text contains a bucket's letters,
    through the search index; many (an import) read every name once.
    """
    from app.services.common.search import customer_text_conditions

    index = NameIndex()
    buckets = {_name_bucket(core) for core in (core_name(c.name or "") for c in candidates) if core}
    if not buckets:
        return index
    stmt = select(Customer.id, Customer.name).order_by(Customer.id)
    # Each bucket's letters appear in the folded search text of every name in it (digits would be read as a phone).
    if len(buckets) <= NAME_PREFILTER_BUCKETS and not any(_DIGITS.search(bucket) for bucket in buckets):
        stmt = stmt.where(or_(*[and_(*customer_text_conditions(bucket)) for bucket in sorted(buckets)]))
    rows = db.session.execute(stmt.execution_options(yield_per=5000))
    for customer_id, name in rows:
        core = core_name(name)
        if core and _name_bucket(core) in buckets:
            index.add(name, customer_id, core=core)
    return index


class FileDuplicates:
    """Rows seen so far in one file: which earlier row a new row repeats (same phone, e-mail, tax code or name)."""

    def __init__(self):
        self._values = {}
        self._names = NameIndex()

    def find(self, candidate):
        """(row number, [reasons]) of the earliest row this candidate repeats, or None."""
        reasons = {}
        keys = [("phone", p) for p in candidate.phones] + [("email", candidate.email), ("tax_code", candidate.tax_code)]
        for reason, value in keys:
            if value and (reason, value) in self._values:
                reasons.setdefault(self._values[(reason, value)], []).append(reason)
        row = self._names.find(candidate.name)
        if row is not None:
            reasons.setdefault(row, []).append("name")
        if not reasons:
            return None
        first = min(reasons)
        return first, list(dict.fromkeys(reasons[first]))

    def add(self, candidate, row):
        for reason, value in [("phone", p) for p in candidate.phones] + [("email", candidate.email), ("tax_code", candidate.tax_code)]:
            if value:
                self._values.setdefault((reason, value), row)
        self._names.add(candidate.name, row)
