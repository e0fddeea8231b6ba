"""Text normalisation for diacritic-insensitive Vietnamese search, and phone numbers."""
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def fold(text):
    """Lower-case text with diacritics removed and đ→d: "Đức Hưng" → "duc hung".

    NFC and NFD input fold to the same string, so any keyboard's output matches.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().casefold()


def normalise_phone(raw):
    """A Vietnamese phone number in E.164 form (+84…), or None when it cannot be one.

    Accepts "0903 123 456", "0903.123.456", "+84 903 123 456", "84903123456".
    """
    if not raw:
        return None
    digits = _NON_DIGITS.sub("", raw)
    if raw.strip().startswith("+"):
        if not digits.startswith("84"):
            return "+" + digits if 8 <= len(digits) <= 15 else None
        national = digits[2:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    # Mobile numbers have 9 national digits; landlines (02x…) have 10.
    if len(national) not in (9, 10) or national.startswith("0"):
        return None
    return "+84" + national


def format_phone(e164):
    """Show +84903123456 as 0903 123 456 (landlines: 028 3822 1234)."""
    if not e164:
        return ""
    if not e164.startswith("+84"):
        return e164
    national = "0" + e164[3:]
    if len(national) == 10:
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if len(national) == 11:
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    return national


def search_terms(query):
    """Folded search terms; a phone-looking query also yields its national digits."""
    folded = fold(query)
    terms = [t for t in folded.split(" ") if t]
    digits = _NON_DIGITS.sub("", query or "")
    if len(digits) >= 6 and len(digits) >= len((query or "").replace(" ", "")) - 4:
        phone = normalise_phone(query)
        terms = [phone[3:] if phone else digits.lstrip("0")]
    return terms
