"""Reading an uploaded CSV file the way Excel writes them in Vietnam: the encoding (UTF-8 with or without BOM,
UTF-16, Windows-1258, Windows-1252), the delimiter, the rows; and folding header titles for column guessing.

A file with no valid UTF-8 multi-byte sequence that is not UTF-8 is a Windows export (1258 when its bytes look
Vietnamese, else 1252). A file that is mostly UTF-8 but has some bytes that are not (one cell pasted from
elsewhere) is never silently read in another encoding: it is read as UTF-8 with those characters shown as �
(UTF8_REPLACE) and ParsedFile.question names its lines, so that the user chooses UTF8_REPLACE or LEGACY.

Shared by the customer import and the product import.
"""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.text import fold

_NOT_WORD = re.compile(r"[^0-9a-z]+")
# Windows-1258 writes tone marks as combining characters after the vowel; in Windows-1252 those
# bytes are Ì Ò Þ ì ò, which Western text hardly ever puts right after a vowel.
_CP1258_TONES = frozenset(b"\xcc\xd2\xde\xec\xf2")
_CP1258_VOWELS = frozenset(b"aeiouyAEIOUY\xe2\xea\xf4\xe3\xf5\xfd\xc2\xca\xd4\xc3\xd5\xdd")


UTF8_REPLACE = "utf-8-replace"  # UTF-8, each byte that is not shown as � (U+FFFD)
LEGACY = "cp1258-replace"  # the other reading offered: Windows Vietnamese (its 7 unused bytes shown as �)
READINGS = {UTF8_REPLACE: _l("Read as UTF-8 and replace the bad characters (shown as �)"),
            LEGACY: _l("Read the whole file as Windows-1258 (Vietnamese Windows)")}
LINES_NAMED = 5  # the first lines that are not UTF-8 named to the user
_BOM = b"\xef\xbb\xbf"
_ESCAPED = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, kept by the surrogateescape handler
_MULTIBYTE = re.compile("[^\x00-\x7f\udc80-\udcff]")


def reading_choices():
    """The readings offered for a file that is partly not UTF-8, as form choices with translated labels."""
    return [(code, label) for code, label in READINGS.items()]


class UploadError(ValueError):
    """The uploaded file cannot be imported at all; the message says why, in the user's language."""


def decode(raw):
    """(text, encoding, question) of an uploaded CSV: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1258
    or -1252; question is None, or {"lines": […], "count": n} for a mostly-UTF-8 file read as UTF8_REPLACE."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return decode_with(raw, "utf-16"), "utf-16", None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.removeprefix(_BOM).decode("utf-8", "surrogateescape")
        multibyte, bad = len(_MULTIBYTE.findall(text)), len(_ESCAPED.findall(text))
        if raw.startswith(_BOM) or (multibyte and multibyte >= bad):
            return decode_with(raw, UTF8_REPLACE), UTF8_REPLACE, not_utf8_lines(text)
        encoding = "cp1258" if _looks_vietnamese_cp1258(raw) else "cp1252"
    else:
        encoding = "utf-8-sig" if raw.startswith(_BOM) else "utf-8"
    return decode_with(raw, encoding), encoding, None


def decode_with(raw, encoding):
    """The text of raw in a known encoding, NFC-normalised (Windows-1258 stores tone marks as combining characters)."""
    codec, replace, errors = encoding.partition("-replace")[0], encoding.endswith("-replace"), "strict"
    if replace:  # a reading the user chose for a file that is partly not UTF-8: what cannot be read shows as �
        raw, errors = raw.removeprefix(_BOM), "replace"
    try:
        return unicodedata.normalize("NFC", raw.decode(codec, errors))
    except UnicodeDecodeError as error:
        raise UploadError(_("The file is not readable text. Save it from Excel as “CSV UTF-8”.")) from error


def not_utf8_lines(escaped_text):
    """{"lines": the first LINES_NAMED rows (as a spreadsheet numbers them) with bytes that are not UTF-8, "count": all}."""
    lines = []
    try:
        reader = csv.reader(io.StringIO(escaped_text, newline=""), delimiter=detect_delimiter(escaped_text))
        lines = [number for number, cells in enumerate(reader, start=1) if any(_ESCAPED.search(cell) for cell in cells)]
    except csv.Error:  # a broken file: name the text lines instead (parse() then says what is wrong with it)
        starts = [match.start() for match in _ESCAPED.finditer(escaped_text)]
        lines = sorted({escaped_text.count("\n", 0, start) + 1 for start in starts})
    return {"lines": lines[:LINES_NAMED], "count": len(lines), "chosen": False}


def encoding_question_text(question):
    """The translated sentence naming the lines of a file that are not UTF-8."""
    shown = ", ".join(str(line) for line in question["lines"])
    more = question["count"] - len(question["lines"])
    if more > 0:
        return ngettext("The file is UTF-8, except line %(lines)s and %(num)d more line: their characters are not UTF-8.",
                        "The file is UTF-8, except lines %(lines)s and %(num)d more lines: their characters are not UTF-8.",
                        more, lines=shown)
    return ngettext("The file is UTF-8, except line %(lines)s: its characters are not UTF-8.",
                    "The file is UTF-8, except lines %(lines)s: their characters are not UTF-8.",
                    question["count"], lines=shown)


def reading_samples(raw, question):
    """{reading: [(row number, cells)]}: the rows that are not UTF-8 (the first named ones) as each reading gives them."""
    wanted, samples = set(question["lines"][:3]), {}
    for reading in READINGS:
        text = decode_with(raw, reading)
        rows = []
        try:
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=detect_delimiter(text)), 1):
                if number in wanted:
                    rows.append((number, cells))
                if number >= max(wanted, default=0):
                    break
        except csv.Error:
            pass  # parse() reports a broken file when it is read
        samples[reading] = rows
    return samples


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
    question: dict | None = None  # lines that are not UTF-8, when the user has to choose the reading


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


def read_upload(raw, max_rows, encoding=None):
    """ParsedFile of an uploaded file (read with `encoding`, or as decode() finds); raises UploadError when it is
    not a CSV, is empty or has too many rows."""
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or (raw[:4096].count(b"\x00") > 16 and not raw.startswith((b"\xff\xfe", b"\xfe\xff"))):
        raise UploadError(_("This is a spreadsheet, not a CSV file. In Excel choose File → Save as → “CSV UTF-8”."))
    text, encoding, question = (decode_with(raw, encoding), encoding, None) if encoding else decode(raw)
    parsed = parse(text, detect_delimiter(text), encoding)
    parsed.question = question
    if len(parsed.rows) > max_rows:
        raise UploadError(_("The file has %(rows)s rows; at most %(max)s can be imported at once. Split it into smaller files.",
                            rows=f"{len(parsed.rows):,}".replace(",", "."), max=f"{max_rows:,}".replace(",", ".")))
    if not parsed.rows:
        raise UploadError(_("The file has a header but no rows."))
    return parsed


def fold_header(header):
    return " ".join(_NOT_WORD.split(fold(header))).strip()
