"""Sending a quote (job queue, SMTP down and back), the customer's link, acceptance → contract, scope."""
import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.formatting import local_today
from app.jobs import huey
from app.models import Activity, Contract, Deal, Notification, Quote
from app.services.quotes.answers import add_months
from tests.conftest import csrf_token_from
from tests.factories import make_contact, make_customer, make_deal, make_quote, make_team, make_user, stage

LINES = [
    {"description": "Máy lọc nước RO Kangaroo 10 lõi", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000,
     "vat_rate": 10},
    {"description": "Công lắp đặt tại nhà", "unit": "lần", "quantity": 1, "unit_price_vnd": 1_345_000, "vat_rate": None},
]
TOTAL = 12_345_000
CUSTOMER_EMAIL = "chi.tran@ducHung.vn".lower()
LINK_RE = re.compile(r"https?://[^\s\"<>]+/q/([A-Za-z0-9_-]{43,})")
CUSTOMER_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Khách hàng"


@pytest.fixture()
def team():
    team = make_team("Kinh doanh Miền Nam")
    manager = make_user(role="manager", team=team, email="ha@example.vn", name="Phạm Thu Hà")
    rep = make_user(team=team, email="an@example.vn", name="Nguyễn Văn An")
    return team, manager, rep


@pytest.fixture()
def rep(team):
    return team[2]


@pytest.fixture()
def manager(team):
    return team[1]


def approved_quote(owner, stage_key="consulting", status="approved", **overrides):
    customer = make_customer(owner, name="Công ty TNHH Đức Hưng", email="info@duchung.vn")
    make_contact(customer, name="Chị Trần Chi", email=CUSTOMER_EMAIL, is_primary=True)
    deal = make_deal(customer, stage_key=stage_key, title="Máy lọc nước cho văn phòng")
    return make_quote(deal, lines=LINES, status=status, **overrides)


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def send(client, quote, to=CUSTOMER_EMAIL, message="Kính gửi chị Chi,\nEm gửi báo giá ạ."):
    page = client.get(f"/quotes/{quote.id}/send")
    return client.post(f"/quotes/{quote.id}/send", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "to_email": to, "message": message})


def token_of(message):
    return LINK_RE.search(message.get_body(("plain",)).get_content()).group(1)


def public_form(client, token):
    return csrf_token_from(client.get(f"/q/{token}").get_data(as_text=True))


def accept(client, token, name="Trần Thị Chi", ip="203.0.113.7", **extra):
    csrf = public_form(client, token)
    return client.post(f"/q/{token}/accept", data={"csrf_token": csrf, "full_name": name, "confirm": "y", **extra},
                       headers={"User-Agent": CUSTOMER_UA}, environ_base={"REMOTE_ADDR": ip})


@pytest.fixture()
def sent(app, client, auth, rep, smtp_sink):
    """An approved quote sent by its rep through the send page; returns (quote, token, customer's client)."""
    quote = approved_quote(rep)
    auth.login(rep.email)
    assert send(client, quote).status_code == 303
    (message,) = smtp_sink.to(CUSTOMER_EMAIL)
    auth.logout()
    return fresh(Quote, quote.id), token_of(message), app.test_client()


# --- sending -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["draft", "pending_approval"])
def test_a_quote_not_approved_cannot_be_sent(client, auth, rep, smtp_sink, status):
    quote = approved_quote(rep, status=status)
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}/send")
    assert page.status_code == 200 and "Báo giá cần được duyệt trước khi gửi cho khách hàng." in page.get_data(as_text=True)
    response = client.post(f"/quotes/{quote.id}/send", data={
        "csrf_token": auth.token(), "to_email": CUSTOMER_EMAIL, "message": "x"})
    assert response.status_code == 409
    quote = fresh(Quote, quote.id)
    assert (quote.status, quote.send_state, quote.token_hash, quote.sent_at) == (status, "idle", None, None)
    assert quote.deal.stage.key == "consulting"
    assert smtp_sink.messages == []


def test_sending_mails_the_pdf_and_a_private_link_and_moves_the_deal(client, auth, rep, smtp_sink):
    quote = approved_quote(rep)
    auth.login(rep.email)
    form = client.get(f"/quotes/{quote.id}/send").get_data(as_text=True)
    assert CUSTOMER_EMAIL in form and "info@duchung.vn" in form  # the contacts and the customer's own address
    response = send(client, quote, message="Kính gửi chị Chi,\nEm gửi báo giá máy lọc nước ạ.")
    assert response.status_code == 303 and response.headers["Location"] == f"/quotes/{quote.id}"
    (message,) = smtp_sink.messages
    assert message["To"] == CUSTOMER_EMAIL and message["Reply-To"] == rep.email
    assert quote.number in message["Subject"] and "Công ty TNHH FieldCRM Việt Nam" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "Em gửi báo giá máy lọc nước ạ." in text and "12.345.000 ₫" in text
    token = token_of(message)
    assert f"/q/{token}" in message.get_body(("html",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == f"{quote.number}-v1.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")
    quote = fresh(Quote, quote.id)
    assert (quote.status, quote.send_state, quote.send_attempts) == ("sent", "sent", 1)
    assert quote.recipient_email == CUSTOMER_EMAIL and quote.sent_at is not None
    assert quote.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in quote.token_hash
    assert quote.deal.stage.key == "quote_sent"
    actions = client.get(f"/quotes/{quote.id}/delivery", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in actions and CUSTOMER_EMAIL in actions  # sent: no more polling


def test_smtp_down_then_up_delivers_exactly_once(app, client, auth, rep, smtp_sink):
    quote = approved_quote(rep)
    auth.login(rep.email)
    smtp_sink.stop()
    assert send(client, quote).status_code == 303  # the rep is not kept waiting for SMTP
    quote = fresh(Quote, quote.id)
    assert (quote.status, quote.send_state, quote.send_attempts) == ("sent", "failed", 1)
    assert "Connection" in quote.send_error and "retrying" in quote.send_error
    box = client.get(f"/quotes/{quote.id}/delivery", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "send-state-retrying" in box and 'hx-trigger="every 3s"' in box
    (retry,) = huey.read_schedule(utc_far_future())  # the queue's retry, due in 30 s
    assert retry.retries == app.config["JOBS_RETRIES"] - 1
    smtp_sink.start()
    huey.execute(retry, timestamp=retry.eta)  # run it as the consumer would 30 s later, without waiting
    huey.execute(retry, timestamp=retry.eta)  # the same retry delivered twice (two consumers racing): mailed once
    assert len(smtp_sink.messages) == 1
    quote = fresh(Quote, quote.id)
    assert (quote.send_state, quote.send_attempts, quote.send_error) == ("sent", 2, None)
    assert huey.read_schedule(utc_far_future()) == []


def test_a_retry_racing_an_attempt_in_progress_waits_its_turn(client, auth, rep, smtp_sink):
    quote = approved_quote(rep)
    auth.login(rep.email)
    smtp_sink.stop()
    send(client, quote)
    (retry,) = huey.read_schedule(utc_far_future())
    smtp_sink.start()
    quote = fresh(Quote, quote.id)
    with huey.lock_task(f"quote-email-{quote.id}-{quote.token_hash[:16]}"):  # another worker is sending it now
        huey.execute(retry, timestamp=retry.eta)
    assert smtp_sink.messages == [] and fresh(Quote, quote.id).send_attempts == 1
    (later,) = huey.read_schedule(utc_far_future())  # put back in the schedule, not dropped
    huey.execute(later, timestamp=later.eta)
    assert len(smtp_sink.messages) == 1 and fresh(Quote, quote.id).send_state == "sent"


def test_the_queue_gives_up_after_its_retries_and_says_so(app, client, auth, rep, smtp_sink):
    app.config["JOBS_RETRIES"] = 1
    try:
        quote = approved_quote(rep)
        auth.login(rep.email)
        smtp_sink.stop()
        send(client, quote)
        (retry,) = huey.read_schedule(utc_far_future())
        huey.execute(retry, timestamp=retry.eta)
        quote = fresh(Quote, quote.id)
        assert (quote.send_state, quote.send_attempts) == ("failed", 2) and "gave up" in quote.send_error
        box = client.get(f"/quotes/{quote.id}/delivery", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "send-state-failed" in box and "hx-trigger" not in box
        assert huey.read_schedule(utc_far_future()) == []
        smtp_sink.start()  # sending again is the rep's decision: it goes out then
        assert send(client, quote).status_code == 303 and len(smtp_sink.messages) == 1
    finally:
        app.config["JOBS_RETRIES"] = 5


def utc_far_future():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)


@pytest.mark.parametrize("stage_key", ["negotiation", "won", "lost"])
def test_sending_never_moves_a_deal_backwards_or_out_of_won_and_lost(client, auth, rep, smtp_sink, stage_key):
    extra = {"lost_reason": "Giá cao"} if stage_key == "lost" else {}
    quote = approved_quote(rep, stage_key=stage_key)
    if extra:
        quote.deal.lost_reason = extra["lost_reason"]
        db.session.commit()
    auth.login(rep.email)
    assert send(client, quote).status_code == 303
    assert fresh(Deal, quote.deal_id).stage.key == stage_key


def test_sending_again_makes_a_new_link_and_closes_the_old_one(client, auth, rep, smtp_sink):
    quote = approved_quote(rep)
    auth.login(rep.email)
    send(client, quote)
    send(client, fresh(Quote, quote.id), to="ke.toan@duchung.vn")
    first, second = smtp_sink.messages
    assert second["To"] == "ke.toan@duchung.vn"
    customer = client.application.test_client()
    assert customer.get(f"/q/{token_of(first)}").status_code == 404
    assert customer.get(f"/q/{token_of(second)}").status_code == 200
    assert fresh(Quote, quote.id).revision == 1  # the same revision, sent again


def test_mail_headers_are_built_by_the_library(app):
    from app.mail import build_message

    with pytest.raises(ValueError):
        build_message("a@example.vn", "Báo giá\r\nBcc: victim@example.com", "x")
    message = build_message("a@example.vn", "Báo giá số BG-2026-00001", "Xin chào")
    assert "=?utf-8?" in message.as_string() and "Bcc" not in message.as_string()


# --- the customer's page -----------------------------------------------------------------------------

def test_first_view_marks_viewed_and_tells_the_rep_once(sent, rep):
    quote, token, customer = sent
    page = customer.get(f"/q/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and quote.number in html and "12.345.000 ₫" in html
    assert "Mười hai triệu ba trăm bốn mươi lăm nghìn đồng" in html and f"/q/{token}.pdf" in html
    assert 'class="has-shell"' not in html and "tabbar" not in html  # not the signed-in shell
    customer.get(f"/q/{token}")
    quote = fresh(Quote, quote.id)
    assert quote.status == "viewed" and quote.viewed_at is not None
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == rep.id, Notification.kind == "quote_viewed")) == 1
    pdf = customer.get(f"/q/{token}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_token_opens_its_own_quote_only_and_never_signs_in(sent, client, rep):
    quote, token, customer = sent
    other = approved_quote(rep)
    for wrong in ("x", token[:-1] + ("A" if token[-1] != "A" else "B"), token.upper(), quote.token_hash, "a" * 300):
        assert customer.get(f"/q/{wrong}").status_code == 404
        assert customer.get(f"/q/{wrong}.pdf").status_code == 404
    html = customer.get(f"/q/{token}").get_data(as_text=True)
    assert quote.number in html and other.number not in html
    assert customer.get("/quotes").status_code == 302 and customer.get(f"/quotes/{quote.id}.pdf").status_code == 302


def test_the_public_page_is_small_and_loads_nothing_from_elsewhere(sent):
    _quote, token, customer = sent
    page = customer.get(f"/q/{token}", headers={"Accept-Encoding": "gzip"})
    html = customer.get(f"/q/{token}").get_data(as_text=True)
    assert "<script" not in html and not re.search(r"(src|href)=\"(https?:)?//", html)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    over_the_wire = len(page.data) + sum(len(customer.get(url, headers={"Accept-Encoding": "gzip"}).data)
                                         for url in stylesheets)
    assert over_the_wire <= 40 * 1024
    assert "Content-Security-Policy" in page.headers and "no-store" in page.headers["Cache-Control"]


def test_accepting_records_who_when_from_where_and_what(sent, rep, manager, smtp_sink):
    quote, token, customer = sent
    other = approved_quote(rep)
    response = accept(customer, token, total_vnd="1", value_vnd="1", quote_id=str(other.id), status="draft",
                      owner_id=str(manager.id))
    assert response.status_code == 303
    assert "Trần Thị Chi" in customer.get(f"/q/{token}").get_data(as_text=True)
    quote = fresh(Quote, quote.id)
    assert quote.status == "accepted" and quote.accepted_name == "Trần Thị Chi"
    assert quote.accepted_ip == "203.0.113.7" and quote.accepted_user_agent == CUSTOMER_UA
    assert quote.answered_at is not None and quote.total_vnd == TOTAL and quote.owner_id == rep.id
    assert quote.accepted_hash == expected_hash(quote)
    assert fresh(Quote, other.id).status == "approved"  # the posted id was ignored
    contract = db.session.scalar(select(Contract).where(Contract.quote_id == quote.id))
    today = local_today()
    assert contract.number == f"HD-{today.year}-00001" and contract.value_vnd == TOTAL
    assert contract.start_date == today and contract.end_date == add_months(today, 12)
    assert contract.renewal_date == contract.end_date - timedelta(days=30)
    assert (contract.owner_id, contract.customer_id, contract.deal_id) == (rep.id, quote.customer_id, quote.deal_id)
    deal = fresh(Deal, quote.deal_id)
    assert deal.stage.key == "won" and deal.closed_at is not None and deal.customer.lifecycle == "customer"
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.deal_id == deal.id, Activity.kind == "task")) == 1
    told = db.session.scalars(select(Notification.user_id).where(Notification.kind == "quote_accepted")).all()
    assert sorted(told) == sorted([rep.id, manager.id])
    confirmation = smtp_sink.messages[-1]
    assert confirmation["To"] == CUSTOMER_EMAIL and contract.number in confirmation["Subject"]
    (attachment,) = list(confirmation.iter_attachments())
    assert attachment.get_filename() == f"{contract.number}.pdf" and attachment.get_content().startswith(b"%PDF")


def expected_hash(quote):
    """The acceptance fingerprint, computed here from the stored rows: number, revision, lines, totals."""
    lines = [{"position": line.position, "description": line.description, "unit": line.unit,
              "quantity": format(line.quantity.normalize(), "f"), "unit_price_vnd": line.unit_price_vnd,
              "discount_bp": line.discount_bp, "vat_rate": line.vat_rate, "amount_vnd": line.amount_vnd,
              "vat_vnd": line.vat_vnd} for line in quote.lines]
    document = {"number": quote.number, "revision": quote.revision, "discount_bp": quote.discount_bp, "lines": lines,
                "subtotal_vnd": quote.subtotal_vnd, "discount_vnd": quote.discount_vnd, "vat_vnd": quote.vat_vnd,
                "total_vnd": quote.total_vnd}
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def snapshot(quote_id):
    quote = fresh(Quote, quote_id)
    return (quote.status, quote.version, quote.answered_at, quote.accepted_name, quote.decline_reason,
            db.session.scalar(select(func.count(Contract.id))), db.session.scalar(select(func.count(Notification.id))),
            quote.deal.stage.key)


def test_accepting_twice_is_409_and_changes_nothing(sent):
    quote, token, customer = sent
    accept(customer, token)
    before = snapshot(quote.id)
    again = accept(customer, token, name="Người Khác")
    assert again.status_code == 409 and "Báo giá này đã được đồng ý vào" in again.get_data(as_text=True)
    declined = customer.post(f"/q/{token}/decline", data={"csrf_token": public_form(customer, token), "reason": "x"})
    assert declined.status_code == 409
    assert snapshot(quote.id) == before


def test_declining_records_the_reason_and_closes_the_quote(sent, rep):
    quote, token, customer = sent
    response = customer.post(f"/q/{token}/decline", data={
        "csrf_token": public_form(customer, token), "reason": "Giá cao hơn bên khác <b>10%</b>"})
    assert response.status_code == 303
    quote = fresh(Quote, quote.id)
    assert quote.status == "declined" and quote.decline_reason == "Giá cao hơn bên khác <b>10%</b>"
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == rep.id, Notification.kind == "quote_declined")) == 1
    before = snapshot(quote.id)
    assert accept(customer, token).status_code == 409
    assert snapshot(quote.id) == before
    assert fresh(Deal, quote.deal_id).stage.key == "quote_sent"


def test_an_expired_quote_cannot_be_answered(sent):
    quote, token, customer = sent
    csrf = public_form(customer, token)
    quote = fresh(Quote, quote.id)
    quote.valid_until = local_today() - timedelta(days=1)
    db.session.commit()
    page = customer.get(f"/q/{token}")
    assert page.status_code == 410 and "Báo giá này đã hết hạn ngày" in page.get_data(as_text=True)
    before = snapshot(quote.id)
    response = customer.post(f"/q/{token}/accept", data={"csrf_token": csrf, "full_name": "Trần Thị Chi", "confirm": "y"})
    assert response.status_code == 409
    assert snapshot(quote.id) == before


def test_a_superseded_revision_cannot_be_accepted(sent, rep):
    from app.services.quotes.editing import revise

    quote, token, customer = sent
    csrf = public_form(customer, token)
    newer = revise(fresh(Quote, quote.id), fresh(Quote, quote.id).version, local_today())
    assert newer.revision == 2 and fresh(Quote, quote.id).status == "superseded"
    before = snapshot(quote.id)
    response = customer.post(f"/q/{token}/accept", data={"csrf_token": csrf, "full_name": "Trần Thị Chi", "confirm": "y"})
    assert response.status_code == 409 and "đã được thay thế bằng phiên bản mới" in response.get_data(as_text=True)
    assert customer.get(f"/q/{token}").status_code == 410
    assert snapshot(quote.id) == before and fresh(Quote, newer.id).status != "accepted"


def test_the_accept_form_needs_a_name_the_tick_and_a_csrf_token(sent):
    quote, token, customer = sent
    csrf = public_form(customer, token)
    before = snapshot(quote.id)
    assert customer.post(f"/q/{token}/accept", data={"csrf_token": csrf, "full_name": "", "confirm": "y"}).status_code == 400
    assert customer.post(f"/q/{token}/accept", data={"csrf_token": csrf, "full_name": "Trần Thị Chi"}).status_code == 400
    assert customer.post(f"/q/{token}/accept", data={"full_name": "Trần Thị Chi", "confirm": "y"}).status_code == 400
    assert snapshot(quote.id) == before


def test_the_answer_forms_are_rate_limited(app, sent):
    quote, token, customer = sent
    csrf = public_form(customer, token)
    codes = [customer.post(f"/q/{token}/accept", data={"csrf_token": csrf, "full_name": ""}).status_code
             for _ in range(11)]
    assert codes[:10] == [400] * 10 and codes[10] == 429
    assert fresh(Quote, quote.id).status == "viewed"


def test_a_rep_previewing_the_link_is_not_the_customer_viewing_it(client, auth, rep, smtp_sink):
    quote = approved_quote(rep)
    auth.login(rep.email)
    send(client, quote)
    token = token_of(smtp_sink.messages[0])
    assert client.get(f"/q/{token}").status_code == 200
    assert fresh(Quote, quote.id).status == "sent"


# --- contracts and scope -----------------------------------------------------------------------------

def test_contracts_are_scoped_like_everything_else(client, auth, sent, rep, manager):
    quote, token, customer = sent
    accept(customer, token)
    contract = db.session.scalar(select(Contract))
    auth.login(rep.email)
    assert contract.number in client.get("/contracts").get_data(as_text=True)
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert contract.number in page and "12.345.000 ₫" in page
    pdf = client.get(f"/contracts/{contract.id}.pdf")
    assert pdf.mimetype == "application/pdf" and f'filename="{contract.number}.pdf"' in pdf.headers["Content-Disposition"]
    assert contract.number in client.get(f"/deals/{quote.deal_id}").get_data(as_text=True)
    auth.logout()
    auth.login(manager.email)
    assert client.get(f"/contracts/{contract.id}").status_code == 200
    auth.logout()
    stranger = make_user(email="binh@example.vn")
    auth.login(stranger.email)
    for url in (f"/contracts/{contract.id}", f"/contracts/{contract.id}.pdf", f"/quotes/{quote.id}.pdf",
                f"/quotes/{quote.id}/send", f"/quotes/{quote.id}/delivery"):
        assert client.get(url).status_code == 404, url
    assert contract.number not in client.get("/contracts").get_data(as_text=True)
    response = client.post(f"/quotes/{quote.id}/send", data={"csrf_token": auth.token(), "to_email": "x@example.vn"})
    assert response.status_code == 404


def test_a_deal_already_won_stays_won_and_gets_its_contract(client, auth, rep, smtp_sink):
    quote = approved_quote(rep, stage_key="won")
    auth.login(rep.email)
    send(client, quote)
    token = token_of(smtp_sink.messages[0])
    auth.logout()
    customer = client.application.test_client()
    assert accept(customer, token).status_code == 303
    assert fresh(Deal, quote.deal_id).stage.key == "won"
    assert db.session.scalar(select(func.count(Contract.id))) == 1


def test_contract_months_and_renewal_follow_the_calendar():
    from datetime import date

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 22), 12) == date(2027, 11, 22)
    assert add_months(date(2027, 12, 15), 3) == date(2028, 3, 15)
    assert stage("won").is_won


def test_the_rep_can_close_the_customer_link_and_send_a_new_one(sent, client, auth, rep, smtp_sink):
    quote, token, customer = sent
    assert customer.get(f"/q/{token}").status_code == 200
    auth.login(rep.email)
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "Đóng liên kết của khách hàng" in page or "Close the customer link" in page
    assert client.post(f"/quotes/{quote.id}/link/revoke").status_code == 400  # no CSRF token: refused
    assert customer.get(f"/q/{token}").status_code == 200
    closed = auth.post(f"/quotes/{quote.id}/link/revoke", {}, token_path=f"/quotes/{quote.id}")
    assert closed.status_code == 303
    assert customer.get(f"/q/{token}").status_code == 404 and customer.get(f"/q/{token}.pdf").status_code == 404
    assert fresh(Quote, quote.id).token_hash is None and fresh(Quote, quote.id).status == "viewed"  # unchanged
    assert send(client, fresh(Quote, quote.id)).status_code == 303  # sending again makes a new, working link
    new_token = token_of(smtp_sink.to(CUSTOMER_EMAIL)[-1])
    assert new_token != token and customer.get(f"/q/{new_token}").status_code == 200


def test_another_rep_cannot_close_the_link(sent, client, auth, team):
    quote, token, customer = sent
    other = make_user(email="khac@example.vn", team=team[0])
    auth.login(other.email)
    assert auth.post(f"/quotes/{quote.id}/link/revoke", {}, token_path="/more").status_code == 404
    assert customer.get(f"/q/{token}").status_code == 200


def test_two_accepts_at_the_same_moment_make_exactly_one_contract(sent, app):
    """Two devices of the customer (or a double tap) accept at once: one wins, the other gets 409."""
    import threading

    quote, token, _customer = sent
    clients = [app.test_client(), app.test_client()]
    forms = [public_form(c, token) for c in clients]  # both pages open before either answer
    barrier, results = threading.Barrier(2), [None, None]

    def answer(index):
        barrier.wait()
        results[index] = clients[index].post(
            f"/q/{token}/accept", data={"csrf_token": forms[index], "full_name": f"Người số {index + 1}", "confirm": "y"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{index + 1}"}).status_code

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [303, 409], results
    assert db.session.scalar(select(func.count(Contract.id)).where(Contract.quote_id == quote.id)) == 1
    accepted = fresh(Quote, quote.id)
    assert accepted.status == "accepted" and accepted.accepted_name in ("Người số 1", "Người số 2")
    assert fresh(Deal, quote.deal_id).stage.key == "won"
