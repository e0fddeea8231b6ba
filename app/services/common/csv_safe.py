"""CSV files people open in Excel: formulas neutralised, UTF-8 with a BOM, RFC 4180.

A cell that starts with "=", "+", "-", "@" (or a tab or carriage return before
one of them) is run as a formula by Excel and LibreOffice: "=HYPERLINK(...)" in
a customer's name would become a link, "=cmd|..." worse. Such text cells get a
leading apostrophe, which spreadsheets show as text and do not display.
Numbers are left alone: -5 is a number, not a formula.
"""
import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
BOM = "\ufeff"


def safe_cell(value):
    """The value as CSV cell text that no spreadsheet runs as a formula (None → "")."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + text
    return text


def excel_csv(rows):
    """rows (lists of values, the first the header) as CSV text: BOM, CRLF line ends, every cell made safe."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
