"""Text normalisation for diacritic-insensitive Vietnamese search, and phone numbers."""
import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")
_PHONE_LIKE = re.compile(r"\+?[\d()]{3,15}")  # digits, maybe +84: a tax code with "-" is not a phone
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(value):
    """A one-line value as stored: line breaks and tabs become one space, other control characters
    (NUL included, which PostgreSQL refuses) are dropped, surrounding spaces removed.

    Used by every one-line form field and by the imports, so a name pasted with a stray CR/LF or
    NUL is stored as the line a person sees. Non-strings pass through unchanged.
    """
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", _LINE_BREAKS.sub(" ", value)).strip()


_MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def multi_line(value):
    """A multi-line value as stored: CRLF and CR become LF, NUL and other control characters except LF
    and tab are dropped, surrounding spaces removed. Non-strings pass through unchanged."""
    if not isinstance(value, str):
        return value
    return _MULTI_LINE_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


INT_MAX = 2**31 - 1  # PostgreSQL INTEGER: every id, version, count and setting column
BIGINT_MAX = 2**63 - 1  # PostgreSQL BIGINT (and SQLite INTEGER): the money columns


def db_int(text, maximum=INT_MAX):
    """An integer typed as ASCII digits (an optional leading "-") that fits -maximum-1..maximum, else None.

    "²" is a digit to str.isdigit() yet int() refuses it, and 2**31 overflows a PostgreSQL INTEGER: both
    are None. An int passes when in range.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return text if -maximum - 1 <= text <= maximum else None
    if not isinstance(text, str) or len(text) > 20:
        return None
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        return None
    value = int(text)
    return value if -maximum - 1 <= value <= maximum else None


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

    Accepts "0903 123 456", "0903.123.456", "+84 903 123 456", "84903123456",
    "+84 (0) 903 123 456" and "0084 903 123 456". Mobile numbers have 9 national
    digits; landlines (area codes 02x) have 10.
    """
    if not raw:
        return None
    text = raw.strip().replace("(0)", "")
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+"):
        if not digits.startswith("84"):
            return "+" + digits if 8 <= len(digits) <= 15 else None
        national = digits[2:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    national = national.lstrip("0") if len(national) > 10 else national
    valid = (len(national) == 9 and national[0] in "35789") or (len(national) == 10 and national[0] == "2")
    return "+84" + national if valid else None


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
    """Folded words to match; a phone-looking query also matches by its national digits.

    "Đức  Hưng" → ["duc", "hung"]; "0903 123 456" → ["903123456"]; "0903" → ["903"];
    "+84 903" → ["903"]; a tax code "0312345678-001" stays as typed.
    """
    folded = fold(query)
    compact = folded.replace(" ", "").replace(".", "")
    if compact and _PHONE_LIKE.fullmatch(compact):
        digits = _NON_DIGITS.sub("", compact)
        if compact.startswith("+84") or (digits.startswith("84") and len(digits) >= 11):
            digits = digits[2:]
        return [digits.lstrip("0") or digits]
    return [t for t in folded.split(" ") if t]
