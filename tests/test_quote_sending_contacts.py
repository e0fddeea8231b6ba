"""The send form: contacts are real choices, the e-mail greets the chosen contact, nothing is said twice."""
import re

from app.extensions import db
from app.models import Quote
from tests.conftest import csrf_token_from
from tests.factories import make_contact, make_customer, make_deal, make_quote, make_user

LINES = [{"description": "Máy lọc nước RO", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000, "vat_rate": 10}]


def approved(owner):
    customer = make_customer(owner, name="Công ty TNHH Đức Hưng", email="info@duchung.vn")
    make_contact(customer, name="Chị Trần Thị Chi", email="chi@duchung.vn", is_primary=True)
    make_contact(customer, name="Lê Văn Bình", email="binh@duchung.vn")
    return make_quote(make_deal(customer, "consulting"), lines=LINES, status="approved")


def body(message):
    return message.get_body(("plain",)).get_content()


def test_each_contact_is_a_radio_choice_with_its_label(client, auth):
    rep = make_user()
    quote = approved(rep)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    radios = re.findall(r'<label class="choice" for="(to-\d)"><input type="radio" id="\1" name="to_email" value="([^"]+)"',
                        page)
    assert [email for _id, email in radios] == ["chi@duchung.vn", "binh@duchung.vn", "info@duchung.vn"]  # by name, then the company
    assert re.search(r'value="chi@duchung.vn" checked', page)  # the primary contact's, chosen already
    assert 'name="other_email"' in page


def test_the_email_greets_the_chosen_contact_by_name_and_says_each_thing_once(client, auth, smtp_sink):
    rep = make_user(name="Nguyễn Văn An")
    quote = approved(rep)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    message = re.search(r'<textarea[^>]*name="message"[^>]*>\s*(.*?)</textarea>', page, re.S).group(1)
    response = client.post(f"/quotes/{quote.id}/send", data={
        "csrf_token": csrf_token_from(page), "to_email": "binh@duchung.vn", "message": message})
    assert response.status_code == 303
    (mail,) = smtp_sink.to("binh@duchung.vn")
    text = body(mail)
    assert text.startswith("Kính gửi anh/chị Lê Văn Bình,")
    assert "Công ty TNHH Đức Hưng," not in text.splitlines()[0]
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("http")]
    assert len(lines) == len(set(lines)), lines
    assert text.count("trực tuyến") == 1 and text.count("đính kèm") == 1
    html = mail.get_body(("html",)).get_content()
    assert "Kính gửi anh/chị Lê Văn Bình," in html


def test_a_contact_saved_with_a_title_is_greeted_without_doubling_it(client, auth, smtp_sink):
    rep = make_user()
    quote = approved(rep)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    client.post(f"/quotes/{quote.id}/send", data={"csrf_token": csrf_token_from(page), "to_email": "chi@duchung.vn",
                                                  "message": "Em gửi báo giá ạ."})
    (mail,) = smtp_sink.to("chi@duchung.vn")
    assert body(mail).startswith("Kính gửi anh/chị Trần Thị Chi,")


def test_a_typed_address_wins_and_a_bad_one_is_shown_next_to_its_field(client, auth, smtp_sink):
    rep = make_user()
    quote = approved(rep)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    bad = client.post(f"/quotes/{quote.id}/send", data={"csrf_token": csrf_token_from(page), "to_email": "chi@duchung.vn",
                                                        "other_email": "không phải email", "message": "x"})
    assert bad.status_code == 400 and 'id="other_email-error"' in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "approved"
    good = client.post(f"/quotes/{quote.id}/send", data={"csrf_token": csrf_token_from(page), "to_email": "chi@duchung.vn",
                                                         "other_email": "ke.toan@duchung.vn", "message": "x"})
    assert good.status_code == 303
    (mail,) = smtp_sink.to("ke.toan@duchung.vn")
    assert body(mail).startswith("Kính gửi Công ty TNHH Đức Hưng,")
    assert not smtp_sink.to("chi@duchung.vn")


def test_nothing_chosen_and_nothing_typed_is_an_error_not_a_500(client, auth):
    rep = make_user()
    quote = approved(rep)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    answer = client.post(f"/quotes/{quote.id}/send", data={"csrf_token": csrf_token_from(page), "message": "x"})
    assert answer.status_code == 400 and 'id="to_email-error"' in answer.get_data(as_text=True)


def test_the_customers_pdf_link_opens_in_a_new_tab(client, auth, smtp_sink):
    rep = make_user()
    quote = approved(rep)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    client.post(f"/quotes/{quote.id}/send", data={"csrf_token": csrf_token_from(page), "to_email": "chi@duchung.vn",
                                                  "message": "x"})
    token = re.search(r"/q/([A-Za-z0-9_-]{43,})", body(smtp_sink.to("chi@duchung.vn")[0])).group(1)
    auth.logout()
    public = client.get(f"/q/{token}").get_data(as_text=True)
    assert re.search(rf'<a class="button" href="/q/{token}[^"]*pdf[^"]*" target="_blank" rel="noopener">', public), public
