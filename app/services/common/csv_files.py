"""Reading an uploaded CSV file the way Excel writes them in Vietnam: the encoding (UTF-8 with or without BOM,
UTF-16, Windows-1258, Windows-1252), the delimiter, the rows; and folding header titles for column guessing.

Shared by the customer import and the product import.
"""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _

from app.text import fold

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Windows-1258 writes tone marks as combining characters after the vowel; in Windows-1252 those
# bytes are Ì Ò Þ ì ò, which Western text hardly ever puts right after a vowel.
_CP1258_TONES = frozenset(b"\xcc\xd2\xde\xec\xf2")
_CP1258_VOWELS = frozenset(b"aeiouyAEIOUY\xe2\xea\xf4\xe3\xf5\xfd\xc2\xca\xd4\xc3\xd5\xdd")


class UploadError(ValueError):
    """The uploaded file cannot be imported at all; the message says why, in the user's language."""


def decode(raw):
    """(text, encoding) of an uploaded CSV: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1258 or -1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        try:
            raw.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1258" if _looks_vietnamese_cp1258(raw) else "cp1252"
    return decode_with(raw, encoding), encoding


def decode_with(raw, encoding):
    """The text of raw in a known encoding, NFC-normalised (Windows-1258 stores tone marks as combining characters)."""
    try:
        return unicodedata.normalize("NFC", raw.decode(encoding))
    except UnicodeDecodeError as error:
        raise UploadError(_("The file is not readable text. Save it from Excel as “CSV UTF-8”.")) from error


def _looks_vietnamese_cp1258(raw):
    tones_after_vowel = sum(1 for prev, byte in zip(raw, raw[1:]) if byte in _CP1258_TONES and prev in _CP1258_VOWELS)
    other_tones = sum(1 for byte in raw if byte in _CP1258_TONES) - tones_after_vowel
    d_stroke = raw.count(b"\xd0") + raw.count(b"\xf0")  # Đ đ in Windows-1258, Ð ð (Icelandic) in -1252
    return tones_after_vowel + d_stroke > other_tones


def detect_delimiter(text):
    """The delimiter (comma, semicolon or tab) that splits the first lines into the most, and most even, columns."""
    sample = "\n".join(text.splitlines()[:20])
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        rows = []
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if any(c.strip() for c in row):
                    rows.append(row)
        except csv.Error:
            pass  # a cell beyond the csv module's limit: parse() says which line
        if not rows:
            continue
        width = len(rows[0])
        score = (sum(1 for row in rows if len(row) == width) if width > 1 else 0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


@dataclass
class ParsedFile:
    encoding: str
    delimiter: str
    header: list
    rows: list  # [(row number as a spreadsheet shows it, cells)]


def parse(text, delimiter, encoding="utf-8", limit=None):
    """The header and the non-empty rows (the first `limit`); a row's number is its record number (the header is 1)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header, rows = None, []
    try:
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue  # empty lines (Excel adds ";;;;" ones) are not rows
            if header is None:
                header = [cell.strip() for cell in cells]
            elif limit is not None and len(rows) >= limit:
                break
            else:
                rows.append((number, cells))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            # The csv module's own limit (131,072 characters) stays: no customer or product cell is near it.
            limit = f"{csv.field_size_limit():,}".replace(",", ".")
            raise UploadError(_("Line %(line)d: a cell is longer than the limit (%(max)s characters). Check the file: "
                                "a quote may be missing its closing quote.", line=reader.line_num, max=limit)) from error
        raise UploadError(_("Line %(line)d: the file is not a valid CSV file (%(error)s).",
                            line=reader.line_num, error=str(error))) from error
    if not header:
        raise UploadError(_("The file is empty."))
    return ParsedFile(encoding=encoding, delimiter=delimiter, header=header, rows=rows)


def read_upload(raw, max_rows):
    """ParsedFile of an uploaded file; raises UploadError when it is not a CSV, is empty or has too many rows."""
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or (raw[:4096].count(b"\x00") > 16 and not raw.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise UploadError(_("This is a spreadsheet, not a CSV file. In Excel choose File → Save as → “CSV UTF-8”."))
    text, encoding = decode(raw)
    parsed = parse(text, detect_delimiter(text), encoding)
    if len(parsed.rows) > max_rows:
        raise UploadError(_("The file has %(rows)s rows; at most %(max)s can be imported at once. Split it into smaller files.",
                            rows=f"{len(parsed.rows):,}".replace(",", "."), max=f"{max_rows:,}".replace(",", ".")))
    if not parsed.rows:
        raise UploadError(_("The file has a header but no rows."))
    return parsed


def fold_header(header):
    return " ".join(_NOT_WORD.split(fold(header))).strip()
