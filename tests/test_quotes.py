"""The quote builder: creating from a deal, lines and terms with exact totals, htmx fragments, bad input,
stale edits, revisions, the list and its scope."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.formatting import local_today
from app.models import Quote, QuoteLine
from tests.factories import make_customer, make_deal, make_product, make_quote, make_team, make_user

HX = {"HX-Request": "true"}


@pytest.fixture()
def rep(auth):
    user = make_user(email="an@example.vn", name="Nguyễn Văn An")
    auth.login(user.email)
    return user


def fresh(quote_id):
    db.session.expire_all()
    return db.session.get(Quote, quote_id)


def quote_count():
    return db.session.scalar(select(func.count(Quote.id)))


def line_data(**overrides):
    data = {"quantity": "1", "unit": "cái", "unit_price_vnd": "1.250.000", "discount_pct": "0", "vat_rate": "10"}
    data.update(overrides)
    return data


def add_product(auth, quote, product, headers=None):
    data = {"kind": "product", "product_id": product.id, "version": fresh(quote.id).version}
    return auth.post(f"/quotes/{quote.id}/lines", data, headers=headers or {})


def add_free(auth, quote, headers=None, **values):
    data = {"kind": "free", "description": "Công lắp đặt", **line_data(**values), "version": fresh(quote.id).version}
    return auth.post(f"/quotes/{quote.id}/lines", data, headers=headers or {})


def update(auth, quote, line, headers=None, version=None, **values):
    data = {**line_data(**values), "version": version if version is not None else fresh(quote.id).version}
    return auth.post(f"/quotes/{quote.id}/lines/{line.id}", data, headers=headers or {})


def set_terms(auth, quote, headers=None, version=None, **values):
    data = {"discount_pct": "0", "valid_until": (local_today() + timedelta(days=15)).strftime("%d/%m/%Y"),
            "payment_terms": "Chuyển khoản 30 ngày", "notes": "", **values,
            "version": version if version is not None else fresh(quote.id).version}
    return auth.post(f"/quotes/{quote.id}/terms", data, headers=headers or {})


def totals_block(html):
    return html.split('id="quote-totals"')[1].split("</section>")[0]


# --- creating ------------------------------------------------------------------------------------

def test_a_rep_creates_a_quote_for_a_deal_with_the_next_bg_number(client, auth, rep):
    deal = make_deal(make_customer(rep, name="Công ty Đức Hưng"), title="Điều hòa văn phòng")
    page = client.get(f"/quotes/new?deal={deal.id}").get_data(as_text=True)
    assert "Điều hòa văn phòng" in page and "Công ty Đức Hưng" in page
    assert quote_count() == 0  # GET shows a confirmation, it creates nothing
    response = auth.post(f"/quotes/new?deal={deal.id}", {})
    assert response.status_code == 303
    quote = db.session.scalar(select(Quote))
    assert response.headers["Location"] == f"/quotes/{quote.id}"
    year = local_today().year
    assert (quote.number, quote.revision, quote.status) == (f"BG-{year}-00001", 1, "draft")
    assert (quote.deal_id, quote.customer_id, quote.owner_id) == (deal.id, deal.customer_id, rep.id)
    assert quote.valid_until == local_today() + timedelta(days=15)
    assert quote.payment_terms.startswith("Thanh toán") and quote.total_vnd == 0
    auth.post(f"/quotes/new?deal={deal.id}", {})
    assert db.session.scalars(select(Quote.number).order_by(Quote.id)).all() == [f"BG-{year}-00001", f"BG-{year}-00002"]
    builder = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert f"BG-{year}-00001" in builder and "Công ty Đức Hưng" in builder and 'data-status="draft"' in builder
    deal_page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert f"BG-{year}-00001" in deal_page and f"/quotes/new?deal={deal.id}" in deal_page
    card = client.get(f"/customers/{deal.customer_id}").get_data(as_text=True)
    assert f"BG-{year}-00002" in card and "Hợp đồng" in card  # the other placeholders stay


def test_validity_and_payment_terms_come_from_the_configuration(app, client, auth, rep):
    deal = make_deal(make_customer(rep))
    saved = {key: app.config[key] for key in ("QUOTE_VALID_DAYS", "QUOTE_PAYMENT_TERMS")}
    app.config.update(QUOTE_VALID_DAYS=30, QUOTE_PAYMENT_TERMS="Tiền mặt khi giao hàng")
    try:
        auth.post(f"/quotes/new?deal={deal.id}", {})
    finally:
        app.config.update(saved)
    quote = db.session.scalar(select(Quote))
    assert quote.valid_until == local_today() + timedelta(days=30) and quote.payment_terms == "Tiền mặt khi giao hàng"


def test_a_quote_for_another_reps_deal_is_404_and_nothing_is_created(client, auth, rep):
    other_deal = make_deal(make_customer(make_user(email="binh@example.vn")))
    assert client.get(f"/quotes/new?deal={other_deal.id}").status_code == 404
    assert auth.post(f"/quotes/new?deal={other_deal.id}", {}).status_code == 404
    assert client.get("/quotes/new?deal=999999").status_code == 404
    assert client.get("/quotes/new").status_code == 404
    assert quote_count() == 0


def test_another_reps_quote_is_404_everywhere_and_unchanged(client, auth, rep):
    quote = make_quote(make_deal(make_customer(make_user(email="binh@example.vn"))),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    line = quote.lines[0]
    assert client.get(f"/quotes/{quote.id}").status_code == 404
    assert client.get(f"/quotes/{quote.id}", headers=HX).status_code == 404
    assert update(auth, quote, line, quantity="5").status_code == 404
    assert add_free(auth, quote).status_code == 404
    assert set_terms(auth, quote, discount_pct="50").status_code == 404
    assert auth.post(f"/quotes/{quote.id}/lines/{line.id}/delete", {"version": quote.version}).status_code == 404
    assert auth.post(f"/quotes/{quote.id}/submit", {"version": quote.version}).status_code == 404
    assert auth.post(f"/quotes/{quote.id}/revise", {"version": quote.version}).status_code == 404
    saved = fresh(quote.id)
    assert (saved.version, saved.total_vnd, saved.discount_bp, saved.status) == (quote.version, 1_100_000, 0, "draft")
    assert [line.quantity for line in saved.lines] == [1]


# --- lines and totals ----------------------------------------------------------------------------

def test_lines_are_added_changed_and_removed_with_exact_totals_on_the_page(client, auth, rep):
    product = make_product(name="Máy lạnh Daikin 1.5HP", unit="bộ", price_vnd=1_250_000, vat_rate=10)
    quote = make_quote(make_deal(make_customer(rep)))
    assert add_product(auth, quote, product).status_code == 303
    line = fresh(quote.id).lines[0]
    assert (line.description, line.unit, line.unit_price_vnd, line.vat_rate, line.product_id) == (
        "Máy lạnh Daikin 1.5HP", "bộ", 1_250_000, 10, product.id)
    product.price_vnd = 2_000_000  # a later price change does not touch the line
    db.session.commit()
    assert update(auth, quote, line, quantity="2", unit="bộ").status_code == 303
    assert add_free(auth, quote, quantity="1,5", unit="công", unit_price_vnd="300.000", discount_pct="10",
                    vat_rate="8").status_code == 303
    assert set_terms(auth, quote, discount_pct="15").status_code == 303
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    totals = totals_block(html)
    for figure in ("2.905.000 ₫", "−435.750 ₫", "212.500 ₫", "27.540 ₫", "2.709.290 ₫",
                   "Hai triệu bảy trăm linh chín nghìn hai trăm chín mươi đồng"):
        assert figure in totals, figure
    assert "2.500.000 ₫" in html and "405.000 ₫" in html  # each line's amount after its own discount
    saved = fresh(quote.id)
    assert (saved.subtotal_vnd, saved.discount_vnd, saved.vat_vnd, saved.total_vnd) == (2_905_000, 435_750, 240_040, 2_709_290)
    assert [(str(line.quantity), line.discount_bp, line.amount_vnd, line.vat_vnd) for line in saved.lines] == [
        ("2.000", 0, 2_500_000, 212_500), ("1.500", 1000, 405_000, 27_540)]
    free_line = saved.lines[1]
    assert auth.post(f"/quotes/{quote.id}/lines/{free_line.id}/delete", {"version": saved.version}).status_code == 303
    saved = fresh(quote.id)
    assert len(saved.lines) == 1 and saved.total_vnd == 2_337_500  # 2.500.000 − 15 % + 10 % VAT
    assert "2.337.500 ₫" in totals_block(client.get(f"/quotes/{quote.id}").get_data(as_text=True))


def test_a_line_change_answers_with_the_row_and_the_totals_out_of_band(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    line = quote.lines[0]
    response = update(auth, quote, line, headers=HX, quantity="3", unit_price_vnd="1.000.000", vat_rate="10")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    # The row the user types in stays (swap none): the answer carries only the out-of-band parts.
    assert f'<li class="quote-line" id="line-{line.id}">' not in html
    assert re.search(r'id="quote-totals"[^>]*hx-swap-oob="true"', html)
    assert "3.300.000 ₫" in totals_block(html) and "3.000.000 ₫" in html
    version = fresh(quote.id).version
    assert f'value="{version}" class="quote-version" hx-swap-oob="outerHTML:.quote-version"' in html
    assert 'id="quote-head" hx-swap-oob="true"' in html and 'id="quote-actions" hx-swap-oob="true"' in html
    assert f'id="line-{line.id}-amount" data-line-amount hx-swap-oob="true">3.000.000 ₫' in html
    # The row the user types in stays (its amount comes out of band) unless it showed errors to clear.
    assert response.headers["HX-Reswap"] == "none"
    fixing = update(auth, quote, line, headers=HX, quantity="4", unit_price_vnd="1.000.000", had_errors="1")
    assert fixing.status_code == 200 and "HX-Reswap" not in fixing.headers
    assert fixing.get_data(as_text=True).lstrip().startswith(f'<li class="quote-line" id="line-{line.id}">')


def test_adding_a_product_with_htmx_appends_the_row_and_updates_the_totals(client, auth, rep):
    product = make_product(price_vnd=500_000, vat_rate=None)
    quote = make_quote(make_deal(make_customer(rep)))
    response = add_product(auth, quote, product, headers=HX)
    html = response.get_data(as_text=True)
    line = fresh(quote.id).lines[0]
    assert response.status_code == 200 and "<html" not in html and f'id="line-{line.id}"' in html
    assert "500.000 ₫" in totals_block(html)  # not subject to VAT: no VAT line
    assert "Thuế GTGT" not in totals_block(html).split("Tổng thanh toán")[0]


def test_the_builder_page_has_the_search_box_and_inline_line_forms(client, rep):
    quote = make_quote(make_deal(make_customer(rep)),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert 'hx-get="/products/search"' in html and 'hx-trigger="keyup changed delay:250ms, search"' in html
    assert f'hx-post="/quotes/{quote.id}/lines/{quote.lines[0].id}" hx-trigger="change, submit"' in html
    assert f'hx-post="/quotes/{quote.id}/lines"' in html and 'name="kind" value="free"' in html
    fragment = client.get(f"/quotes/{quote.id}", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="quote-builder"' in fragment


@pytest.mark.parametrize("field, value", [
    ("quantity", "-1"), ("quantity", "0"), ("quantity", "hai"), ("quantity", "1,2345"), ("quantity", ""),
    ("unit_price_vnd", "-5"), ("unit_price_vnd", "mười nghìn"), ("unit_price_vnd", ""),
    ("discount_pct", "100,5"), ("discount_pct", "-1"), ("discount_pct", "12,345"),
    ("vat_rate", "7"), ("unit", ""),
])
def test_bad_line_input_is_refused_next_to_the_field_and_nothing_changes(client, auth, rep, field, value):
    quote = make_quote(make_deal(make_customer(rep)),
                       lines=[{"description": "Máy lạnh", "quantity": 2, "unit_price_vnd": 1_000_000}])
    line = quote.lines[0]
    response = update(auth, quote, line, headers=HX, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<html" not in html
    assert 'class="field-error"' in html and f'id="line-{line.id}"' in html
    saved = fresh(quote.id)
    assert (saved.version, saved.total_vnd) == (quote.version, 2_200_000)
    assert (saved.lines[0].quantity, saved.lines[0].unit_price_vnd, saved.lines[0].discount_bp) == (2, 1_000_000, 0)
    page = update(auth, quote, line, **{field: value})  # without htmx: the whole page with the error
    assert page.status_code == 400 and "<html" in page.get_data(as_text=True)


def test_a_free_line_needs_a_description_and_valid_figures(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)))
    response = add_free(auth, quote, headers=HX, description="", quantity="-2")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="free-line-form"' in html and html.count('class="field-error"') == 2
    assert response.headers["HX-Retarget"] == "#free-line-form"
    assert fresh(quote.id).lines == []


@pytest.mark.parametrize("product_id", ["999999", "abc", "", "inactive"])
def test_an_unknown_or_inactive_product_is_refused(client, auth, rep, product_id):
    quote = make_quote(make_deal(make_customer(rep)))
    if product_id == "inactive":
        product_id = make_product(active=False).id
    response = auth.post(f"/quotes/{quote.id}/lines", {"kind": "product", "product_id": product_id, "version": quote.version},
                         headers=HX)
    assert response.status_code == 400 and response.headers["HX-Retarget"] == "#add-feedback"
    assert db.session.scalar(select(func.count(QuoteLine.id))) == 0


@pytest.mark.parametrize("values", [{"discount_pct": "100,01"}, {"valid_until": "31/02/2026"}, {"valid_until": "hôm qua"}])
def test_bad_terms_are_refused_and_nothing_changes(client, auth, rep, values):
    quote = make_quote(make_deal(make_customer(rep)))
    response = set_terms(auth, quote, headers=HX, **values)
    assert response.status_code == 400 and 'class="field-error"' in response.get_data(as_text=True)
    saved = fresh(quote.id)
    assert (saved.version, saved.discount_bp, saved.valid_until) == (quote.version, 0, quote.valid_until)


def test_the_validity_cannot_be_set_in_the_past(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)))
    yesterday = (local_today() - timedelta(days=1)).strftime("%d/%m/%Y")
    assert set_terms(auth, quote, valid_until=yesterday).status_code == 400
    later = local_today() + timedelta(days=40)
    assert set_terms(auth, quote, valid_until=later.strftime("%d/%m/%Y"), notes="Giao trong 7 ngày").status_code == 303
    saved = fresh(quote.id)
    assert (saved.valid_until, saved.notes) == (later, "Giao trong 7 ngày")


def test_totals_status_and_owner_sent_by_the_browser_are_ignored(client, auth, rep):
    other = make_user(email="binh@example.vn")
    quote = make_quote(make_deal(make_customer(rep)),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    line = quote.lines[0]
    tampered = {"subtotal_vnd": "1", "discount_vnd": "0", "vat_vnd": "0", "total_vnd": "1", "amount_vnd": "1",
                "status": "approved", "owner_id": other.id, "number": "BG-1999-99999", "revision": "9",
                "net_vnd": "1", "discount_bp": "9999"}
    assert update(auth, quote, line, quantity="2", unit_price_vnd="1.000.000", **tampered).status_code == 303
    assert set_terms(auth, quote, discount_pct="5", **tampered).status_code == 303
    assert add_free(auth, quote, unit_price_vnd="100.000", vat_rate="none", **tampered).status_code == 303
    saved = fresh(quote.id)
    assert (saved.status, saved.owner_id, saved.number, saved.revision) == ("draft", rep.id, quote.number, 1)
    # 2 × 1.000.000 and 100.000 (no VAT), less 5 %, VAT 10 % on the first line only
    assert (saved.subtotal_vnd, saved.discount_vnd, saved.vat_vnd, saved.total_vnd) == (2_100_000, 105_000, 190_000, 2_185_000)
    assert [line.amount_vnd for line in saved.lines] == [2_000_000, 100_000] and saved.lines[0].discount_bp == 0


def test_lines_can_be_moved_up_and_down(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)), lines=[
        {"description": "Một", "quantity": 1, "unit_price_vnd": 1}, {"description": "Hai", "quantity": 1, "unit_price_vnd": 2}])
    second = quote.lines[1]
    response = auth.post(f"/quotes/{quote.id}/lines/{second.id}/move", {"direction": "up", "version": quote.version},
                         headers=HX)
    assert response.status_code == 200 and 'id="quote-lines"' in response.get_data(as_text=True)
    assert [line.description for line in fresh(quote.id).lines] == ["Hai", "Một"]


# --- stale edits ---------------------------------------------------------------------------------

def test_a_stale_edit_gets_409_with_the_current_quote_and_writes_nothing(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    line = quote.lines[0]
    seen_version = quote.version
    assert update(auth, quote, line, quantity="4", unit_price_vnd="1.000.000").status_code == 303  # another phone
    response = update(auth, quote, line, headers=HX, version=seen_version, quantity="9")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" not in html
    assert "Dữ liệu vừa được người khác cập nhật" in html and "4.400.000 ₫" in totals_block(html)
    assert response.headers["HX-Retarget"] == "#quote-builder"
    page = set_terms(auth, quote, version=seen_version, discount_pct="50")
    assert page.status_code == 409 and "<html" in page.get_data(as_text=True)
    saved = fresh(quote.id)
    assert (saved.lines[0].quantity, saved.discount_bp, saved.total_vnd) == (4, 0, 4_400_000)
    assert auth.post(f"/quotes/{quote.id}/lines/{line.id}/delete", {"version": seen_version}).status_code == 409
    assert len(fresh(quote.id).lines) == 1


def test_every_edit_changes_the_version_even_when_no_total_changes(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    before = quote.version
    assert update(auth, quote, quote.lines[0], quantity="1", unit="bộ", unit_price_vnd="1.000.000").status_code == 303
    assert fresh(quote.id).version == before + 1
    assert update(auth, quote, quote.lines[0], version=before, unit="chiếc").status_code == 409


# --- revisions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["sent", "viewed", "declined", "expired"])
def test_editing_a_sent_quote_makes_a_new_revision_and_supersedes_the_old(client, auth, rep, status):
    quote = make_quote(make_deal(make_customer(rep)), status=status, payment_terms="Trả trước 50%",
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000},
                              {"description": "Công lắp", "quantity": 2, "unit_price_vnd": 200_000, "vat_rate": 8}])
    second = quote.lines[1]
    response = update(auth, quote, second, quantity="3", unit_price_vnd="200.000", vat_rate="8")
    assert response.status_code == 303
    old = fresh(quote.id)
    new = db.session.scalar(select(Quote).where(Quote.id != quote.id))
    assert response.headers["Location"] == f"/quotes/{new.id}"
    assert (old.status, old.total_vnd) == ("superseded", 1_532_000)  # the customer's copy is untouched
    assert [line.quantity for line in old.lines] == [1, 2]
    assert (new.number, new.revision, new.previous_id, new.status) == (old.number, 2, old.id, "draft")
    assert (new.payment_terms, new.customer_id, new.owner_id) == ("Trả trước 50%", old.customer_id, rep.id)
    assert [(line.description, line.quantity) for line in new.lines] == [("Máy lạnh", 1), ("Công lắp", 3)]
    assert new.total_vnd == 1_100_000 + 648_000
    old_page = client.get(f"/quotes/{old.id}").get_data(as_text=True)
    assert 'data-status="superseded"' in old_page and 'class="line-form"' not in old_page
    assert f'href="/quotes/{new.id}"' in old_page and "Máy lạnh" in old_page
    assert update(auth, old, old.lines[0], quantity="7").status_code == 409  # old revisions are read-only
    assert fresh(old.id).lines[0].quantity == 1 and quote_count() == 2
    listed = client.get("/quotes").get_data(as_text=True)
    assert f"{old.number} v2" in listed and f'href="/quotes/{old.id}"' not in listed  # latest revision only
    assert f'href="/quotes/{old.id}"' in client.get("/quotes?status=superseded").get_data(as_text=True)


def test_an_htmx_edit_of_a_sent_quote_opens_the_new_revision(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)), status="sent",
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    response = set_terms(auth, quote, headers=HX, discount_pct="5")
    new = db.session.scalar(select(Quote).where(Quote.revision == 2))
    assert response.headers["HX-Redirect"] == f"/quotes/{new.id}" and new.discount_bp == 500
    assert fresh(quote.id).discount_bp == 0


def test_the_revise_button_makes_a_revision_and_an_expired_one_gets_a_new_validity(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)), status="expired", valid_until=local_today() - timedelta(days=3),
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert f'action="/quotes/{quote.id}/revise"' in page and 'class="line-form"' not in page
    response = auth.post(f"/quotes/{quote.id}/revise", {"version": quote.version})
    new = db.session.scalar(select(Quote).where(Quote.revision == 2))
    assert response.status_code == 303 and response.headers["Location"] == f"/quotes/{new.id}"
    assert new.valid_until == local_today() + timedelta(days=15) and fresh(quote.id).status == "superseded"
    assert auth.post(f"/quotes/{quote.id}/revise", {"version": fresh(quote.id).version}).status_code == 409
    assert quote_count() == 2


def test_an_accepted_quote_cannot_be_changed(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)), status="accepted",
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    assert update(auth, quote, quote.lines[0], quantity="2").status_code == 409
    assert auth.post(f"/quotes/{quote.id}/revise", {"version": quote.version}).status_code == 409
    assert quote_count() == 1 and fresh(quote.id).lines[0].quantity == 1


@pytest.mark.parametrize("status", ["approved", "pending_approval"])
def test_editing_an_approved_or_submitted_quote_takes_it_back_to_draft(client, auth, rep, status):
    quote = make_quote(make_deal(make_customer(rep)), status=status,
                       lines=[{"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 1_000_000}])
    response = update(auth, quote, quote.lines[0], headers=HX, quantity="2", unit_price_vnd="1.000.000")
    assert response.status_code == 200 and 'data-status="draft"' in response.get_data(as_text=True)
    saved = fresh(quote.id)
    assert (saved.status, saved.revision, saved.total_vnd) == ("draft", 1, 2_200_000) and quote_count() == 1


# --- the list ------------------------------------------------------------------------------------

def test_the_list_shows_a_reps_own_quotes_newest_first_with_status_filters(client, auth, rep):
    mine = make_deal(make_customer(rep, name="Khách của An"))
    first = make_quote(mine)
    second = make_quote(mine, status="sent")
    theirs = make_quote(make_deal(make_customer(make_user(email="binh@example.vn"), name="Khách của Bình")))
    html = client.get("/quotes").get_data(as_text=True)
    assert "<h1>Báo giá</h1>" in html and "Khách của Bình" not in html and theirs.number not in html
    assert html.index(second.number) < html.index(first.number)
    sent_only = client.get("/quotes?status=sent").get_data(as_text=True)
    assert second.number in sent_only and first.number not in sent_only
    assert first.number in client.get("/quotes?status=nonsense&scope=all").get_data(as_text=True)  # allow-listed: ignored
    fragment = client.get("/quotes?status=draft", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and first.number in fragment and second.number not in fragment


def test_the_list_is_paginated(client, auth, rep):
    deal = make_deal(make_customer(rep))
    quotes = [make_quote(deal) for _ in range(21)]
    page_one = client.get("/quotes").get_data(as_text=True)
    assert quotes[-1].number in page_one and quotes[0].number not in page_one and "/quotes?page=2" in page_one
    assert quotes[0].number in client.get("/quotes?page=2").get_data(as_text=True)


def test_managers_see_their_team_and_admins_everyone(client, auth):
    team, other_team = make_team(), make_team()
    manager = make_user(role="manager", team=team, email="ql@example.vn")
    teammate = make_quote(make_deal(make_customer(make_user(team=team))))
    own = make_quote(make_deal(make_customer(manager)))
    outsider = make_quote(make_deal(make_customer(make_user(team=other_team))))
    auth.login(manager.email)
    team_list = client.get("/quotes").get_data(as_text=True)
    assert teammate.number in team_list and own.number in team_list and outsider.number not in team_list
    mine = client.get("/quotes?scope=mine").get_data(as_text=True)
    assert own.number in mine and teammate.number not in mine
    assert outsider.number not in client.get("/quotes?scope=all").get_data(as_text=True)
    assert client.get(f"/quotes/{teammate.id}").status_code == 200
    assert client.get(f"/quotes/{outsider.id}").status_code == 404
    auth.logout()
    admin = make_user(role="admin", email="admin@example.vn")
    auth.login(admin.email)
    everyone = client.get("/quotes").get_data(as_text=True)
    assert all(quote.number in everyone for quote in (teammate, own, outsider))


def test_free_text_is_escaped_and_the_builder_has_no_inline_script_or_style(client, auth, rep):
    quote = make_quote(make_deal(make_customer(rep)))
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert add_free(auth, quote, description=attack).status_code == 303
    assert set_terms(auth, quote, notes=attack, payment_terms=attack).status_code == 303
    for html in (client.get(f"/quotes/{quote.id}").get_data(as_text=True),
                 update(auth, quote, fresh(quote.id).lines[0], headers=HX, quantity="2", had_errors="1").get_data(as_text=True),
                 update(auth, quote, fresh(quote.id).lines[0], headers=HX, quantity="3").get_data(as_text=True)):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html) and not re.search(r"<[^>]*\son[a-z]+=", html)
        assert not re.search(r"<[^>]*\sstyle=", html)
    assert "&lt;script&gt;" in client.get(f"/quotes/{quote.id}").get_data(as_text=True)
