"""Quote PDFs: Vietnamese text and figures, nothing read from disk or network, huge quotes within a time cap."""
import http.server
import subprocess
import threading
import time
from pathlib import Path

import pytest

from app.pdf import PdfError, render_pdf, static_only_fetcher_class
from app.services.quotes.documents import quote_pdf
from tests.conftest import free_port
from tests.factories import make_customer, make_deal, make_quote, make_user

CUSTOMER = "Công ty TNHH Thương mại Đức Hưng"
TOTAL_WORDS = "Mười hai triệu ba trăm bốn mươi lăm nghìn đồng"
# 10.000.000 + 10 % VAT and 1.345.000 not subject to VAT: 12.345.000 ₫ in all.
LINES = [
    {"description": "Máy lọc nước RO Kangaroo 10 lõi", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000,
     "vat_rate": 10},
    {"description": "Công lắp đặt tại nhà", "unit": "lần", "quantity": 1, "unit_price_vnd": 1_345_000, "vat_rate": None},
]
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "/usr/sbin/nologin", "daemon:")


def pdf_text(pdf, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # words as read, whatever the line breaks of the layout


def attachments(pdf, tmp_path):
    path = tmp_path / "attach.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.fixture()
def rep():
    return make_user(email="an@example.vn", name="Nguyễn Văn An")


@pytest.fixture()
def quote(rep):
    customer = make_customer(rep, name=CUSTOMER, tax_code="0301234567", address="45 Lê Lợi", province="TP. Hồ Chí Minh")
    return make_quote(make_deal(customer), lines=LINES, status="approved",
                      payment_terms="Thanh toán 50% khi ký, 50% khi giao hàng.")


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):
        RecordingHandler.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture()
def http_spy():
    """A web server on 127.0.0.1 that records every request: WeasyPrint must never call it."""
    RecordingHandler.requests = []
    server = http.server.HTTPServer(("127.0.0.1", free_port()), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", RecordingHandler.requests
    server.shutdown()


def test_quote_pdf_has_vietnamese_text_figures_and_words(quote, tmp_path):
    pdf = quote_pdf(quote)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert CUSTOMER in text  # every diacritic survives (DejaVu Sans, ToUnicode)
    assert "Máy lọc nước RO Kangaroo 10 lõi" in text and "Công lắp đặt tại nhà" in text
    assert "12.345.000 ₫" in text and "10.000.000 ₫" in text and "1.000.000 ₫" in text  # total, line, 10 % VAT
    assert TOTAL_WORDS in text
    assert quote.valid_until.strftime("%d/%m/%Y") in text and quote.number in text
    assert "Công ty TNHH FieldCRM Việt Nam" in text and "0312345678" in text  # letterhead from config
    assert "Thanh toán 50% khi ký" in text
    assert "0 embedded files" in attachments(pdf, tmp_path)


def test_user_text_is_escaped_and_never_makes_weasyprint_read_a_file_or_the_network(quote, tmp_path, http_spy):
    from app.extensions import db

    base, hits = http_spy
    quote.notes = ('<a rel="attachment" href="file:///etc/passwd">hồ sơ</a> <img src="file:///etc/passwd"> '
                   f'<link rel="stylesheet" href="http://127.0.0.1:1/x.css"> <link rel="stylesheet" href="{base}/y.css">')
    quote.payment_terms = '<img src="file:///etc/hostname"><style>@import url("file:///etc/passwd");</style>'
    db.session.commit()
    pdf = quote_pdf(quote)
    text = pdf_text(pdf, tmp_path)
    assert "0 embedded files" in attachments(pdf, tmp_path)
    assert not any(marker in text for marker in PASSWD_MARKERS)
    assert '<img src="file:///etc/passwd">' in text  # shown as the text it is
    assert hits == []


def test_the_fetcher_refuses_files_and_urls_even_in_raw_html(app, tmp_path, http_spy):
    base, hits = http_spy
    html = (f'<html><body><p>Xin chào</p><a rel="attachment" href="file:///etc/passwd">a</a>'
            f'<img src="file:///etc/passwd"><img src="../../../etc/passwd"><link rel="stylesheet" href="{base}/x.css">'
            f'<link rel="stylesheet" href="http://127.0.0.1:1/x.css"><img src="img/logo.svg"></body></html>')
    pdf = render_pdf(html)
    text = pdf_text(pdf, tmp_path)
    assert "Xin chào" in text
    assert "0 embedded files" in attachments(pdf, tmp_path)
    assert not any(marker in text for marker in PASSWD_MARKERS)
    assert hits == []


def test_the_fetcher_serves_only_static_files_and_data_uris(app):
    fetcher = static_only_fetcher_class()(app.static_folder)
    static = Path(app.static_folder).resolve()
    logo = fetcher.fetch((static / "img" / "logo.svg").as_uri())
    assert logo.read().startswith(b"<svg") and logo.content_type == "image/svg+xml"
    assert fetcher.fetch("data:text/plain;base64,eGlu").read() == b"xin"
    refused = [
        "file:///etc/passwd", (static / ".." / "__init__.py").as_uri(), static.as_uri() + "/../config.py",
        "file://evil.example/etc/passwd", "http://127.0.0.1:1/x.css", "https://example.com/x.css",
        "ftp://127.0.0.1/x", (static / "img" / "missing.svg").as_uri(),
    ]
    for url in refused:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_500_line_quote_with_100k_terms_renders_within_the_cap(rep, tmp_path, capsys):
    customer = make_customer(rep, name=CUSTOMER)
    lines = [{"description": f"Vật tư số {n} — ống nhựa PPR Bình Minh Φ{n % 90 + 20}", "unit": "mét",
              "quantity": n % 7 + 1, "unit_price_vnd": 12_345 * (n % 40 + 1), "discount_bp": (n % 5) * 250,
              "vat_rate": (0, 5, 8, 10, None)[n % 5]} for n in range(500)]
    terms = ("Điều khoản thanh toán: chuyển khoản trong vòng 30 ngày kể từ ngày giao hàng. " * 1300)[:100_000]
    quote = make_quote(make_deal(customer), lines=lines, status="approved", payment_terms=terms)
    started = time.monotonic()
    pdf = quote_pdf(quote)
    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\n500-line quote with 100,000-character terms: {len(pdf):,} bytes in {seconds:.1f} s")
    text = pdf_text(pdf, tmp_path)
    assert "Vật tư số 499" in text and "30 ngày kể từ ngày giao hàng" in text
    assert seconds < 30  # PDF_TIMEOUT_SECONDS


def test_a_render_over_the_time_cap_fails_cleanly_and_the_next_one_works(app):
    slow = "<p>" + "Chậm " * 150_000 + "</p>"
    started = time.monotonic()
    with pytest.raises(PdfError):
        render_pdf(slow, timeout=0.5)
    assert time.monotonic() - started < 3  # the render process is killed, not awaited
    assert render_pdf("<p>Tiếp theo</p>").startswith(b"%PDF")


def test_quote_pdf_route_is_inline_named_and_scoped(client, auth, quote, rep):
    auth.login(rep.email)
    response = client.get(f"/quotes/{quote.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{quote.number}-v1.pdf"'
    assert response.data.startswith(b"%PDF") and "no-store" in response.headers["Cache-Control"]
    auth.logout()
    other = make_user(email="binh@example.vn")
    auth.login(other.email)
    assert client.get(f"/quotes/{quote.id}.pdf").status_code == 404
    assert client.get(f"/quotes/{quote.id + 1000}.pdf").status_code == 404
    auth.logout()
    assert client.get(f"/quotes/{quote.id}.pdf").status_code == 302  # anonymous: to the sign-in page
