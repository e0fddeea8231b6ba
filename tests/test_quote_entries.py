"""Where a quote starts: the Quotes tab's picker (customer, then deal or a new deal), the customer card's
"New quote" and "Repeat last quote"; scoping (another rep's customer or deal is a 404), CSRF, no-JS paths."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deal, Quote
from tests.factories import make_customer, make_deal, make_quote, make_team, make_user

HX = {"HX-Request": "true"}


@pytest.fixture()
def rep(auth):
    user = make_user(email="an@example.vn", name="Nguyễn Văn An")
    auth.login(user.email)
    return user


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count(model.id)))


def only_quote():
    db.session.expire_all()
    return db.session.scalar(select(Quote))


def test_the_quotes_tab_has_a_new_quote_button_that_opens_the_picker_inline(client, rep):
    html = client.get("/quotes").get_data(as_text=True)
    assert 'data-action="start-quote"' in html and 'hx-get="/quotes/start" hx-target="#quote-start-slot"' in html
    assert 'href="/quotes/start"' in html and '<div id="quote-start-slot"></div>' in html  # a plain link without JS


def test_the_picker_lists_only_the_reps_own_customers_and_searches_without_diacritics(client, rep):
    make_customer(rep, name="Công ty TNHH Đức Hưng")
    make_customer(rep, name="Nhà hàng Sông Hàn")
    make_customer(make_user(email="binh@example.vn"), name="Công ty Đức Hưng Phát")  # another rep's
    page = client.get("/quotes/start").get_data(as_text=True)
    assert "<html" in page and "Đức Hưng" in page and "Sông Hàn" in page and "Đức Hưng Phát" not in page
    found = client.get("/quotes/start?q=duc hung").get_data(as_text=True)  # the no-JS search: a GET form
    assert "Công ty TNHH Đức Hưng" in found and "Sông Hàn" not in found and "Đức Hưng Phát" not in found
    # htmx: the search box asks for the customer list alone, the Quotes tab's button for the whole picker.
    rows = client.get("/quotes/start?q=DUC", headers={**HX, "HX-Target": "quote-start-customers"}).get_data(as_text=True)
    assert "<html" not in rows and 'id="quote-start"' not in rows and "Công ty TNHH Đức Hưng" in rows
    picker = client.get("/quotes/start", headers={**HX, "HX-Target": "quote-start-slot"}).get_data(as_text=True)
    assert "<html" not in picker and 'id="quote-start"' in picker and 'id="quote-customer-search"' in picker
    assert "Không có khách hàng nào khớp với “zzzz”." in client.get("/quotes/start?q=zzzz").get_data(as_text=True)


def test_picking_a_customer_offers_its_open_deals_and_a_new_deal(client, rep):
    customer = make_customer(rep, name="Công ty TNHH Đức Hưng")
    open_deal = make_deal(customer, "consulting", title="Điều hòa văn phòng")
    make_deal(customer, "won", title="Đã thắng năm ngoái")
    html = client.get(f"/quotes/start?customer={customer.id}", headers={**HX, "HX-Target": "quote-start"}).get_data(as_text=True)
    assert "<html" not in html and "Điều hòa văn phòng" in html and "Đã thắng năm ngoái" not in html
    assert f'action="/quotes/new?deal={open_deal.id}"' in html and f'action="/quotes/new?customer={customer.id}"' in html
    assert 'name="csrf_token"' in html and "Tạo cơ hội cho báo giá này" in html
    page = client.get(f"/quotes/start?customer={customer.id}").get_data(as_text=True)
    assert "<html" in page and "Cho cơ hội nào?" in page


def test_a_deal_picked_creates_the_draft_and_lands_on_the_builder(client, auth, rep):
    deal = make_deal(make_customer(rep), "consulting")
    response = auth.post(f"/quotes/new?deal={deal.id}", {})
    quote = only_quote()
    assert response.status_code == 303 and response.headers["Location"] == f"/quotes/{quote.id}"
    assert (quote.deal_id, quote.owner_id, quote.status) == (deal.id, rep.id, "draft")


def test_a_customer_without_open_deal_gets_a_new_deal_with_the_quote_in_one_post(client, auth, rep):
    customer = make_customer(rep, name="Nhà hàng Sông Hàn")
    make_deal(customer, "lost", lost_reason="Giá cao")  # a closed deal does not take a quote
    html = client.get(f"/quotes/start?customer={customer.id}").get_data(as_text=True)
    assert "chưa có cơ hội đang mở" in html and 'data-action="quote-for-deal"' not in html
    response = auth.post(f"/quotes/new?customer={customer.id}", {})
    quote = only_quote()
    assert response.status_code == 303 and response.headers["Location"] == f"/quotes/{quote.id}"
    deal = db.session.get(Deal, quote.deal_id)
    assert (deal.customer_id, deal.owner_id, deal.value_vnd, deal.stage.is_open) == (customer.id, rep.id, 0, True)
    assert deal.title == "Báo giá dành cho Nhà hàng Sông Hàn" and quote.customer_id == customer.id
    # GET never creates anything: it shows the picker for that customer.
    get = client.get(f"/quotes/new?customer={customer.id}")
    assert get.status_code == 303 and get.headers["Location"] == f"/quotes/start?customer={customer.id}"
    assert (count(Quote), count(Deal)) == (1, 2)


def test_another_reps_customer_or_deal_is_404_and_nothing_is_created(client, auth, rep):
    other = make_user(email="binh@example.vn")
    customer = make_customer(other)
    deal = make_deal(customer)
    assert client.get(f"/quotes/start?customer={customer.id}").status_code == 404
    assert client.get(f"/quotes/start?customer={customer.id}", headers=HX).status_code == 404
    assert client.get("/quotes/start?customer=999999").status_code == 404
    assert auth.post(f"/quotes/new?customer={customer.id}", {}).status_code == 404
    assert auth.post(f"/quotes/new?deal={deal.id}", {}).status_code == 404
    assert auth.post("/quotes/new?customer=999999", {}).status_code == 404
    assert auth.post(f"/quotes/new?customer={2**40}", {}).status_code == 404  # an id no column holds
    assert (count(Quote), count(Deal)) == (0, 1)


def test_creating_needs_the_csrf_token_and_a_post(client, auth, rep):
    customer = make_customer(rep)
    deal = make_deal(customer)
    assert client.post(f"/quotes/new?deal={deal.id}").status_code == 400
    assert client.post(f"/quotes/new?customer={customer.id}").status_code == 400
    assert client.post(f"/quotes/new?customer={customer.id}", headers=HX).status_code == 400
    assert client.post("/quotes/start").status_code == 405
    assert (count(Quote), count(Deal)) == (0, 1)


def test_a_manager_starts_quotes_within_the_team_only(client, auth):
    team, other_team = make_team(), make_team()
    manager = make_user(role="manager", team=team, email="ql@example.vn")
    teammate_customer = make_customer(make_user(team=team), name="Khách của đồng đội")
    outsider_customer = make_customer(make_user(team=other_team), name="Khách nhóm khác")
    teammate_deal = make_deal(teammate_customer)
    auth.login(manager.email)
    picker = client.get("/quotes/start").get_data(as_text=True)
    assert "Khách của đồng đội" in picker and "Khách nhóm khác" not in picker
    assert client.get(f"/quotes/start?customer={teammate_customer.id}").status_code == 200
    assert client.get(f"/quotes/start?customer={outsider_customer.id}").status_code == 404
    assert auth.post(f"/quotes/new?customer={outsider_customer.id}", {}).status_code == 404
    assert auth.post(f"/quotes/new?deal={teammate_deal.id}", {}).status_code == 303
    assert only_quote().owner_id == teammate_deal.owner_id  # the deal's owner keeps the quote


def test_the_customer_card_with_one_open_deal_posts_straight_to_the_builder(client, auth, rep):
    customer = make_customer(rep)
    deal = make_deal(customer, "consulting")
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    form = html[html.rindex("<form", 0, html.index('data-action="new-quote"')):]
    assert form.startswith(f'<form method="post" action="/quotes/new?deal={deal.id}"') and 'name="csrf_token"' in form
    assert auth.post(f"/quotes/new?deal={deal.id}", {}).status_code == 303


@pytest.mark.parametrize("open_deals", [0, 2])
def test_the_customer_card_otherwise_opens_the_deal_picker(client, rep, open_deals):
    customer = make_customer(rep)
    for _ in range(open_deals):
        make_deal(customer)
    make_deal(customer, "lost", lost_reason="Giá cao")
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'<a class="btn" href="/quotes/start?customer={customer.id}" data-action="new-quote">' in html


def test_repeat_last_quote_on_the_card_copies_the_newest_quote_the_rep_owns_past_draft(client, auth, rep):
    customer = make_customer(rep)
    deal = make_deal(customer)
    make_quote(deal, status="accepted", lines=[{"description": "Cũ", "quantity": 1, "unit_price_vnd": 100}])
    last = make_quote(deal, status="sent", lines=[{"description": "Máy lạnh 2HP", "quantity": 3, "unit_price_vnd": 16_900_000}])
    make_quote(deal, lines=[{"description": "Nháp đang làm", "quantity": 1, "unit_price_vnd": 100}])  # a draft: not repeated
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'action="/quotes/{last.id}/repeat"' in html and f'name="version" value="{last.version}"' in html
    response = auth.post(f"/quotes/{last.id}/repeat", {"version": last.version})
    assert response.status_code == 303
    db.session.expire_all()
    copy = db.session.scalars(select(Quote).order_by(Quote.id.desc())).first()
    assert response.headers["Location"] == f"/quotes/{copy.id}"
    assert [line.description for line in copy.lines] == ["Máy lạnh 2HP"] and copy.total_vnd == last.total_vnd


def test_no_repeat_button_without_a_quote_of_ones_own(client, auth):
    team = make_team()
    manager = make_user(role="manager", team=team, email="ql@example.vn")
    customer = make_customer(make_user(team=team))
    make_quote(make_deal(customer), status="sent", lines=[{"description": "X", "quantity": 1, "unit_price_vnd": 100}])
    auth.login(manager.email)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'data-action="repeat-last-quote"' not in html  # the teammate's quote: only its owner repeats it


def test_free_text_in_the_picker_is_escaped(client, rep):
    customer = make_customer(rep, name='<script>alert("x")</script> Đức')
    make_deal(customer, title="<img src=x onerror=alert(1)>")
    listed = client.get("/quotes/start?q=duc").get_data(as_text=True)
    assert "<script>alert" not in listed and "&lt;script&gt;" in listed
    deals = client.get(f"/quotes/start?customer={customer.id}").get_data(as_text=True)
    assert "<img src=x" not in deals and "&lt;img src=x" in deals
