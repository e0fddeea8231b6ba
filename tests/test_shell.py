"""The mobile shell: tabs, htmx fragments, security headers, static files, errors, health."""
import re

import pytest

from tests.factories import make_customer, make_user

TABS_VI = ["Hôm nay", "Pipeline", "Khách hàng", "Báo giá", "Thêm"]
TABS_EN = ["Today", "Pipeline", "Customers", "Quotes", "More"]


@pytest.fixture()
def rep(auth):
    user = make_user(email="an@example.vn", name="Nguyễn Văn An")
    auth.login(user.email)
    return user


def tab_labels(html):
    nav = html.split('<nav class="tabbar"')[1].split("</nav>")[0]
    return re.findall(r"<span>([^<]+)</span>", nav)


@pytest.mark.parametrize("path, heading", [("/", "Hôm nay"), ("/pipeline", "Pipeline"), ("/customers", "Khách hàng"), ("/quotes", "Báo giá"), ("/more", "Thêm")])
def test_each_tab_is_a_real_page_in_the_shell(client, rep, path, heading):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in html
    assert tab_labels(html) == TABS_VI
    assert 'aria-current="page"' in html
    assert '<meta name="viewport"' in html and 'hx-boost="true"' in html and '"X-CSRFToken"' in html


def test_english_is_complete_for_the_shell(client, auth, rep):
    auth.post("/language", {"lang": "en"})
    html = client.get("/more").get_data(as_text=True)
    assert tab_labels(html) == TABS_EN
    assert '<html lang="en">' in html and "Sign out" in html and "Đăng xuất" not in html


def test_every_page_answers_htmx_with_a_fragment(app, client, auth):
    from app.access import PUBLIC, policy_of
    from app.services.customers import imports as customer_import
    from app.services.products import imports as product_import
    from app.services.customers.merge import merge_customers

    from tests.factories import make_activity, make_contact, make_deal, make_product

    admin = make_user(role="admin", email="admin@example.vn")
    customer = make_customer(admin)
    deal = make_deal(customer)
    merged_away = make_customer(admin, name="Bản trùng")
    merge = merge_customers(customer, merged_away, admin, survivor_version=customer.version,
                            other_version=merged_away.version)
    raw = "Tên khách hàng,Số điện thoại\nQuán Cơm Bà Ba,0903123456\n".encode()
    parsed = customer_import.read_upload(raw, 100)
    run = customer_import.create_import(admin, admin, "khach.csv", raw, parsed)
    customer_import.save_mapping(run, customer_import.guess_mapping(parsed.header), "skip")
    customer_import.run_import(run, admin)
    pending = customer_import.create_import(admin, admin, "cho.csv", raw, parsed)  # uploaded, not imported yet
    price_list = "Mã hàng;Tên hàng;ĐVT;Đơn giá;Thuế suất\nSP-1;Ống nhựa;mét;1000;10\n".encode()
    product_run = product_import.create_import(admin, "bang-gia.csv", price_list, *product_import.read_file(price_list))
    product_import.queue_import(product_run, admin)
    product_pending = product_import.create_import(admin, "cho.csv", price_list, *product_import.read_file(price_list))
    import_ids = {"customer_tools.import_mapping": pending.id, "products.import_reading": product_pending.id,
                  "products.import_result": product_run.id, "products.import_progress": product_run.id}
    ids = {"customer_id": customer.id, "deal_id": deal.id, "stage_id": deal.stage_id, "user_id": admin.id,
           "contact_id": make_contact(customer).id, "merge_id": merge.id, "import_id": run.id,
           "product_id": make_product().id, "activity_id": make_activity(admin, customer).id}
    query = {"customer_tools.merge": f"?a={customer.id}&b={make_customer(admin).id}", "quotes.new": f"?deal={deal.id}"}
    for name, value in _delivery_ids(deal).items():
        ids.setdefault(name, value)
    auth.login(admin.email)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or policy_of(app.view_functions[rule.endpoint]) == PUBLIC:
            continue
        values = {**ids, "import_id": import_ids[rule.endpoint]} if rule.endpoint in import_ids else ids
        url = rule.build({name: values[name] for name in rule.arguments})[1] + query.get(rule.endpoint, "")
        response = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code == 200, url
        if response.mimetype == "application/pdf":  # quote and contract PDFs: documents, not pages
            continue
        assert "<html" not in response.get_data(as_text=True), url


def _delivery_ids(deal):
    """A quote (accepted) and its contract, for the quote and contract pages; an existing quote_id is kept."""
    from datetime import timedelta

    from app.extensions import db
    from app.formatting import local_today
    from app.models import Contract
    from tests.factories import make_quote

    quote = make_quote(deal, lines=[{"description": "Máy lọc nước", "quantity": 1, "unit_price_vnd": 5_000_000}],
                       status="accepted")
    today = local_today()
    contract = Contract(number=f"HD-{today.year}-00001", quote=quote, deal_id=deal.id, customer_id=deal.customer_id,
                        owner_id=deal.owner_id, start_date=today, end_date=today + timedelta(days=365),
                        renewal_date=today + timedelta(days=335), value_vnd=quote.total_vnd)
    db.session.add(contract)
    db.session.commit()
    return {"quote_id": quote.id, "contract_id": contract.id}


def test_htmx_request_gets_a_fragment_boosted_gets_the_page(client, rep):
    make_customer(rep, name="Tiệm bánh Hương Xưa")
    fragment = client.get("/customers?q=huong xua", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and "Tiệm bánh Hương Xưa" in html
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/customers", headers={"HX-Request": "true", "HX-Boosted": "true"})
    restore = client.get("/customers", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    for response in (boosted, restore):
        assert "<html" in response.get_data(as_text=True)


def test_security_headers_on_every_response(client, rep):
    for path in ("/", "/login", "/healthz", "/customers/999"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert "no-store" in client.get("/").headers["Cache-Control"]


def test_pages_have_no_inline_script_and_load_nothing_from_the_internet(client, rep):
    for path in ("/", "/customers", "/more", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers
        assert not re.search(r"(src|href)=\"(https?:)?//", html.replace('href="https://zalo.me', "")), path


def test_static_files_are_fingerprinted_compressed_and_cached_long(client, rep):
    html = client.get("/").get_data(as_text=True)
    htmx_url = re.search(r'src="(/static/js/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{12})"', html).group(1)
    response = client.get(htmx_url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert "no-cache" not in response.headers["Cache-Control"]
    assert response.headers.get("Content-Encoding") in ("br", "deflate")
    assert len(response.get_data()) < 20_000  # htmx 2 is ~17 KB gzipped, 52 KB raw
    assert "Set-Cookie" not in response.headers  # cacheable: carries no session


def test_our_css_and_js_are_served_minified_without_document_headers(client, rep):
    html = client.get("/").get_data(as_text=True)
    css_url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    js_url = re.search(r'src="(/static/js/app\.js\?v=[0-9a-f]{12})"', html).group(1)
    with open("app/static/css/app.css", encoding="utf-8") as fh:
        source_css = fh.read()
    css = client.get(css_url)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert len(css.get_data()) < 0.9 * len(source_css.encode()) and "/*" not in css.get_data(as_text=True)
    assert ".deal-card" in css.get_data(as_text=True)  # the rules are all there
    js = client.get(js_url)
    assert js.status_code == 200 and js.mimetype == "text/javascript" and "htmx" in js.get_data(as_text=True)
    for response in (css, js):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" not in response.headers  # applies to documents, not to a stylesheet
        assert "immutable" in response.headers["Cache-Control"]
    assert client.get("/static/../app/__init__.py").status_code == 404
    assert client.get("/static/css/missing.css").status_code == 404


def test_pages_are_compressed(client, rep):
    response = client.get("/more", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"


def test_healthz_round_trips_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_not_found_page_is_friendly_and_in_the_shell(client, rep):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "Không tìm thấy" in html and tab_labels(html) == TABS_VI


def test_oversize_body_is_413_and_changes_nothing(app, client, rep):
    from app.models import User
    from app.extensions import db

    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/language", data={"lang": "en", "pad": "x" * (limit + 1)})
    assert response.status_code == 413
    assert "Dữ liệu gửi lên quá lớn" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, rep.id).locale == "vi"


def test_server_error_shows_an_error_id_and_rolls_back(tmp_path, caplog):
    from app import create_app
    from app.extensions import db
    from app.models import Team
    from app.access import public

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/e.db"})

    @public
    def boom():
        db.session.add(Team(name="half-written"))
        db.session.flush()
        raise RuntimeError("kaboom")

    app.add_url_rule("/_boom", "boom", boom)
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/_boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Đã xảy ra lỗi" in html and "kaboom" not in html and "Traceback" not in html
    error_id = re.search(r"Mã lỗi: ([0-9A-F]{8})", html).group(1)
    assert error_id in caplog.text
    with app.app_context():
        assert db.session.query(Team).count() == 0
