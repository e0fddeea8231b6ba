"""CSV export of the customer list: Excel-safe, the list's filters, the user's scope only, streamed in batches."""
import csv
import io

import pytest

from app.services.customers.records import CustomerFilter, export_csv
from tests.factories import make_customer
from tests.test_customers import people  # noqa: F401 (the same rep, colleague, other team and manager)


def export(client, query=""):
    return client.get("/customers/export.csv" + (f"?{query}" if query else ""))


def rows_of(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_the_export_is_utf8_with_a_bom_crlf_and_a_translated_header(client, auth, people):
    make_customer(people["rep"], name="Công ty Đức Hưng", phone="+84903123456", tax_code="0312345678")
    auth.login(people["rep"].email)
    response = export(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="customers-')
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")
    header, row = rows_of(response)
    assert "Điện thoại" in header and "Mã số thuế" in header and "Người phụ trách" in header  # Vietnamese by default
    record = dict(zip(header, row))
    assert record["Điện thoại"] == "0903 123 456" and record["Mã số thuế"] == "0312345678"
    assert "Công ty Đức Hưng" in row and "Nguyễn Văn An" in row


def test_formulas_are_neutralised_and_quoting_survives_commas_quotes_and_newlines(client, auth, people):
    tricky = 'Nhà hàng "Phố Biển", chi nhánh 2\ndòng hai'
    make_customer(people["rep"], name=tricky, notes="=HYPERLINK(\"http://evil.example\",\"bấm\")",
                  address="+84 đường 3/2", ward="-1+2", district="@SUM(A1)", province="\t=1+1")
    auth.login(people["rep"].email)
    header, row = rows_of(export(client))
    record = dict(zip(header, row))
    assert tricky in row  # RFC 4180 quoting round-trips
    notes = record[header[-1]]
    assert notes == "'=HYPERLINK(\"http://evil.example\",\"bấm\")"
    for value in ("'+84 đường 3/2", "'-1+2", "'@SUM(A1)", "'\t=1+1"):
        assert value in row
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_the_export_holds_only_the_users_scope(client, auth, people):
    make_customer(people["rep"], name="Của An")
    make_customer(people["colleague"], name="Của Bình")
    make_customer(people["north"], name="Của Chi")
    auth.login(people["rep"].email)
    assert [row[1] for row in rows_of(export(client))[1:]] == ["Của An"]
    assert [row[1] for row in rows_of(export(client, f"owner={people['colleague'].id}"))[1:]] == ["Của An"]
    auth.logout()
    auth.login(people["manager"].email)
    assert sorted(row[1] for row in rows_of(export(client))[1:]) == ["Của An", "Của Bình"]


def test_the_export_follows_the_lists_filters_and_order(client, auth, people):
    make_customer(people["rep"], name="Bảo Minh", lifecycle="customer", score=40)
    make_customer(people["rep"], name="An Phát", lifecycle="customer", score=90)
    make_customer(people["rep"], name="Đức Hưng", lifecycle="lead", score=99)
    auth.login(people["rep"].email)
    assert [row[1] for row in rows_of(export(client, "lifecycle=customer&sort=score"))[1:]] == ["An Phát", "Bảo Minh"]
    assert [row[1] for row in rows_of(export(client, "q=duc hung"))[1:]] == ["Đức Hưng"]
    assert [row[1] for row in rows_of(export(client, "sort=nonsense&lifecycle=customer"))[1:]] == ["An Phát", "Bảo Minh"]  # default order: newest first
    page = client.get("/customers?lifecycle=customer&sort=score").get_data(as_text=True)
    assert 'href="/customers/export.csv?lifecycle=customer&amp;sort=score"' in page


def test_anonymous_visitors_get_the_login_page(client, people):
    make_customer(people["rep"])
    response = client.get("/customers/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_rows_are_streamed_one_batch_at_a_time_and_capped(app, people):
    for n in range(7):
        make_customer(people["rep"], name=f"Khách {n}")
    with app.test_request_context():
        chunks = export_csv(people["rep"], CustomerFilter(sort="name"), 30, batch=3)
        capped = export_csv(people["rep"], CustomerFilter(sort="name"), 30, batch=3, max_rows=5)
    # Read after the request is gone, as a server sends the body: the stream needs no request context.
    chunks = list(chunks)
    assert len(chunks) == 1 + 3  # the header, then batches of 3, 3 and 1 rows
    assert [chunk.count("\r\n") for chunk in chunks] == [1, 3, 3, 1]
    assert "".join(capped).count("\r\n") == 1 + 5


def test_an_exported_file_maps_back_on_import_in_both_languages(app):
    from app.services.customers.imports import IGNORE, guess_mapping
    from app.services.customers.records import export_header

    importable = {"name", "kind", "lifecycle", "phone", "phone_alt", "email", "tax_code", "address", "ward",
                  "district", "province", "source", "tags", "notes", "birthday"}
    for language in ("vi", "en"):
        with app.test_request_context(headers={"Cookie": f"lang={language}"}):
            from flask import g
            from flask_babel import refresh

            refresh()  # the test's app context (and its cached locale) outlives this request
            g.pop("_translations", None)
            header = export_header()
            mapped = dict(zip(header, guess_mapping(header)))
        assert header[1] == {"vi": "Tên", "en": "Name"}[language] or header[1].startswith({"vi": "Tên", "en": "Name"}[language])
        assert importable <= set(mapped.values()), (language, mapped)
        assert "owner_id" not in mapped.values() and mapped[header[0]] == IGNORE  # the id never maps
