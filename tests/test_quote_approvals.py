"""Submitting quotes, the approval rules, managers approving and rejecting, the queue and who may decide."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, Quote, Setting
from tests.factories import make_customer, make_deal, make_quote, make_team, make_user

HX = {"HX-Request": "true"}
MAY = {"description": "Máy lạnh", "quantity": 1, "unit_price_vnd": 10_000_000}


@pytest.fixture()
def team():
    return make_team(name="Miền Nam")


@pytest.fixture()
def manager(team):
    return make_user(role="manager", team=team, email="ql@example.vn", name="Phạm Thu Hà")


@pytest.fixture()
def rep(team, manager):
    return make_user(team=team, email="an@example.vn", name="Nguyễn Văn An")


def quote_for(owner, lines=(MAY,), **overrides):
    return make_quote(make_deal(make_customer(owner, name="Công ty Đức Hưng")), lines=list(lines), **overrides)


def fresh(quote_id):
    db.session.expire_all()
    return db.session.get(Quote, quote_id)


def submit(auth, quote):
    return auth.post(f"/quotes/{quote.id}/submit", {"version": fresh(quote.id).version})


def decide(auth, quote, decision, comment="", headers=None, version=None):
    data = {"decision": decision, "comment": comment,
            "version": version if version is not None else fresh(quote.id).version}
    return auth.post(f"/quotes/{quote.id}/decide", data, headers=headers or {})


def notifications(user=None):
    stmt = select(Notification).order_by(Notification.id)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return db.session.scalars(stmt).all()


# --- submitting and the rules --------------------------------------------------------------------

@pytest.mark.parametrize("line_discount, quote_discount, price, expected", [
    (1000, 0, 10_000_000, "approved"),          # 10 %: within the rule
    (1500, 0, 10_000_000, "pending_approval"),  # a line at 15 %
    (0, 1500, 10_000_000, "pending_approval"),  # the quote at 15 %
    (1001, 0, 10_000_000, "pending_approval"),  # 10,01 %
    (0, 0, 454_545_454, "approved"),            # 499.999.999 ₫ with VAT
    (0, 0, 454_545_455, "pending_approval"),    # 500.000.001 ₫ with VAT
])
def test_submitting_follows_the_default_approval_rules(client, auth, rep, manager, line_discount, quote_discount,
                                                       price, expected):
    quote = quote_for(rep, lines=[{**MAY, "unit_price_vnd": price, "discount_bp": line_discount}], discount_bp=quote_discount)
    auth.login(rep.email)
    response = submit(auth, quote)
    assert response.status_code == 303 and response.headers["Location"] == f"/quotes/{quote.id}"
    saved = fresh(quote.id)
    assert saved.status == expected and saved.submitted_at is not None
    assert len(notifications(manager)) == (1 if expected == "pending_approval" else 0)
    assert f'data-status="{expected}"' in client.get(f"/quotes/{quote.id}").get_data(as_text=True)


def test_changed_rules_apply_to_the_next_submission(client, auth, rep, manager):
    admin = make_user(role="admin", email="admin@example.vn")
    auth.login(admin.email)
    page = client.get("/quotes/approval-rules").get_data(as_text=True)
    assert 'value="10"' in page and 'value="500.000.000"' in page  # the defaults
    response = auth.post("/quotes/approval-rules", {"max_discount_pct": "20", "max_total_vnd": "1.000.000.000"})
    assert response.status_code == 303
    setting = db.session.get(Setting, "approval_rules")
    assert setting.value == {"max_discount_bp": 2000, "max_total_vnd": 1_000_000_000} and setting.updated_by_id == admin.id
    auth.logout()
    auth.login(rep.email)
    fifteen = quote_for(rep, lines=[{**MAY, "discount_bp": 1500}])
    big = quote_for(rep, lines=[{**MAY, "unit_price_vnd": 900_000_000, "vat_rate": None}])
    over = quote_for(rep, lines=[{**MAY, "discount_bp": 2050}])
    for quote in (fifteen, big, over):
        submit(auth, quote)
    assert [fresh(q.id).status for q in (fifteen, big, over)] == ["approved", "approved", "pending_approval"]


@pytest.mark.parametrize("data", [{"max_discount_pct": "101", "max_total_vnd": "1"}, {"max_discount_pct": "10", "max_total_vnd": "-1"},
                                  {"max_discount_pct": "", "max_total_vnd": "1"}])
def test_bad_approval_rules_are_refused(client, auth, data):
    auth.login(make_user(role="admin").email)
    assert auth.post("/quotes/approval-rules", data).status_code == 400
    assert db.session.get(Setting, "approval_rules") is None


def test_only_admins_change_the_approval_rules(client, auth, rep, manager):
    for user in (rep, manager):
        auth.login(user.email)
        assert client.get("/quotes/approval-rules").status_code == 403
        assert auth.post("/quotes/approval-rules", {"max_discount_pct": "90", "max_total_vnd": "1"}).status_code == 403
        auth.logout()
    assert db.session.get(Setting, "approval_rules") is None


def test_a_quote_without_lines_cannot_be_submitted(client, auth, rep):
    rep.locale = "en"  # the message is asserted in English, the language of the message ids
    db.session.commit()
    auth.login(rep.email)
    quote = quote_for(rep, lines=())
    response = submit(auth, quote)
    assert response.status_code == 422 and "Add at least one line" in response.get_data(as_text=True)
    assert fresh(quote.id).status == "draft" and notifications() == []


def test_submitting_twice_or_with_a_stale_version_changes_nothing(client, auth, rep, manager):
    auth.login(rep.email)
    quote = quote_for(rep, lines=[{**MAY, "discount_bp": 2000}])
    seen = quote.version
    assert submit(auth, quote).status_code == 303
    assert auth.post(f"/quotes/{quote.id}/submit", {"version": seen}).status_code == 409
    assert submit(auth, quote).status_code == 422  # no longer a draft
    assert fresh(quote.id).status == "pending_approval" and len(notifications()) == 1


def test_managers_of_the_team_are_notified_not_other_teams(client, auth, rep, manager):
    second_manager = make_user(role="manager", team=rep.team, email="ql2@example.vn")
    stranger = make_user(role="manager", team=make_team(), email="ql3@example.vn")
    auth.login(rep.email)
    quote = quote_for(rep, lines=[{**MAY, "discount_bp": 1500}])
    submit(auth, quote)
    notified = notifications()
    assert sorted(n.user_id for n in notified) == sorted([manager.id, second_manager.id])
    assert stranger.id not in [n.user_id for n in notified]
    assert all(n.kind == "quote_submitted" and n.url == f"/quotes/{quote.id}" and quote.number in n.text
               and "Nguyễn Văn An" in n.text for n in notified)


def test_without_a_team_manager_the_admins_are_asked(client, auth):
    loner = make_user(email="le@example.vn")
    admin = make_user(role="admin", email="admin@example.vn")
    auth.login(loner.email)
    quote = quote_for(loner, lines=[{**MAY, "discount_bp": 1500}])
    submit(auth, quote)
    assert [n.user_id for n in notifications()] == [admin.id]


# --- deciding ------------------------------------------------------------------------------------

def pending_quote(owner, **overrides):
    return quote_for(owner, lines=[{**MAY, "discount_bp": 1500}], status="pending_approval", **overrides)


def test_a_manager_approves_a_team_quote_and_the_owner_is_notified(client, auth, rep, manager):
    quote = pending_quote(rep)
    auth.login(manager.email)
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert f'action="/quotes/{quote.id}/decide"' in page
    response = decide(auth, quote, "approve", "OK, chốt nhanh")
    assert response.status_code == 303
    saved = fresh(quote.id)
    assert (saved.status, saved.decided_by_id, saved.decision_comment) == ("approved", manager.id, "OK, chốt nhanh")
    [note] = notifications(rep)
    assert note.kind == "quote_approved" and "Phạm Thu Hà" in note.text and note.url == f"/quotes/{quote.id}/send"


def test_a_manager_rejects_with_a_comment_and_the_quote_goes_back_to_draft(client, auth, rep, manager):
    quote = pending_quote(rep)
    auth.login(manager.email)
    without = decide(auth, quote, "reject", "")
    assert without.status_code == 400 and fresh(quote.id).status == "pending_approval"
    response = decide(auth, quote, "reject", "Chiết khấu quá cao, tối đa 12%")
    assert response.status_code == 303
    saved = fresh(quote.id)
    assert (saved.status, saved.decision_comment) == ("draft", "Chiết khấu quá cao, tối đa 12%")
    [note] = notifications(rep)
    assert note.kind == "quote_rejected" and "Chiết khấu quá cao" in note.text
    auth.logout()
    auth.login(rep.email)
    assert "Chiết khấu quá cao, tối đa 12%" in client.get(f"/quotes/{quote.id}").get_data(as_text=True)


def test_approving_from_the_queue_with_htmx_answers_with_the_item(client, auth, rep, manager):
    quote = pending_quote(rep)
    auth.login(manager.email)
    queue = client.get("/approvals").get_data(as_text=True)
    assert quote.number in queue and "Công ty Đức Hưng" in queue and "15" in queue
    response = decide(auth, quote, "approve", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and f'id="approval-{quote.id}"' in html
    assert 'data-status="approved"' in html and f'hx-post="/quotes/{quote.id}/decide"' not in html
    assert fresh(quote.id).status == "approved"


def test_a_decision_is_taken_once(client, auth, rep, manager):
    admin = make_user(role="admin", email="admin@example.vn")
    quote = pending_quote(rep)
    seen = quote.version
    auth.login(manager.email)
    assert decide(auth, quote, "approve", version=seen).status_code == 303
    auth.logout()
    auth.login(admin.email)
    late = decide(auth, quote, "reject", "Không", headers=HX, version=seen)
    assert late.status_code == 409 and 'data-status="approved"' in late.get_data(as_text=True)
    assert decide(auth, quote, "reject", "Không").status_code == 409  # current version, but no longer pending
    saved = fresh(quote.id)
    assert (saved.status, saved.decided_by_id) == ("approved", manager.id) and len(notifications(rep)) == 1


def test_a_rep_cannot_approve_any_quote(client, auth, rep, manager):
    other_rep = make_user(team=rep.team, email="binh@example.vn")
    own, colleagues = pending_quote(rep), pending_quote(other_rep)
    auth.login(rep.email)
    for quote in (own, colleagues):
        assert decide(auth, quote, "approve").status_code == 403
    assert client.get("/approvals").status_code == 403
    assert [fresh(q.id).status for q in (own, colleagues)] == ["pending_approval", "pending_approval"]
    page = client.get(f"/quotes/{own.id}").get_data(as_text=True)
    assert f"/quotes/{own.id}/decide" not in page and notifications() == []


def test_a_manager_cannot_approve_their_own_quote(client, auth, manager):
    quote = pending_quote(manager)
    auth.login(manager.email)
    assert f"/quotes/{quote.id}/decide" not in client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert decide(auth, quote, "approve").status_code == 403
    assert quote.number not in client.get("/approvals").get_data(as_text=True)
    assert fresh(quote.id).status == "pending_approval"


def test_a_manager_of_another_team_gets_404(client, auth, rep):
    stranger = make_user(role="manager", team=make_team(), email="ql-khac@example.vn")
    quote = pending_quote(rep)
    auth.login(stranger.email)
    assert decide(auth, quote, "approve").status_code == 404
    assert client.get(f"/quotes/{quote.id}").status_code == 404
    assert quote.number not in client.get("/approvals").get_data(as_text=True)
    assert fresh(quote.id).status == "pending_approval"


def test_an_admin_approves_anyones_quote_but_their_own(client, auth, rep):
    admin = make_user(role="admin", email="admin@example.vn")
    theirs, own = pending_quote(rep), pending_quote(admin)
    auth.login(admin.email)
    queue = client.get("/approvals").get_data(as_text=True)
    assert theirs.number in queue and own.number not in queue
    assert decide(auth, theirs, "approve").status_code == 303 and fresh(theirs.id).status == "approved"
    assert decide(auth, own, "approve").status_code == 403


def test_only_pending_quotes_can_be_decided(client, auth, rep, manager):
    draft = quote_for(rep)
    auth.login(manager.email)
    assert decide(auth, draft, "approve").status_code == 409
    assert fresh(draft.id).status == "draft"


def test_the_queue_and_the_today_link_show_what_waits_for_this_manager(client, auth, rep, manager):
    other_team_rep = make_user(team=make_team(), email="xa@example.vn")
    waiting = [pending_quote(rep), pending_quote(rep)]
    elsewhere = pending_quote(other_team_rep)
    not_yet = quote_for(rep)
    auth.login(manager.email)
    queue = client.get("/approvals").get_data(as_text=True)
    assert all(q.number in queue for q in waiting) and elsewhere.number not in queue and not_yet.number not in queue
    today = client.get("/").get_data(as_text=True)
    assert "/approvals" in today and "(2)" in today
    assert '<span class="count">2</span>' in client.get("/quotes").get_data(as_text=True)
    decide(auth, waiting[0], "approve")
    assert "(1)" in client.get("/").get_data(as_text=True)
    decide(auth, waiting[1], "approve")
    assert 'class="btn btn-block approvals-link"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(rep.email)
    assert 'approvals-link' not in client.get("/").get_data(as_text=True)


def test_the_approval_flow_end_to_end_with_test_clients(client, auth, rep, manager):
    """Submit at 15 % → pending; rejected → draft; fixed to 10 % and resubmitted → approved directly."""
    auth.login(rep.email)
    quote = quote_for(rep, lines=[{**MAY, "discount_bp": 1500}])
    submit(auth, quote)
    auth.logout()
    auth.login(manager.email)
    decide(auth, quote, "reject", "Tối đa 10%")
    auth.logout()
    auth.login(rep.email)
    line = fresh(quote.id).lines[0]
    data = {"quantity": "1", "unit": "cái", "unit_price_vnd": "10.000.000", "discount_pct": "10", "vat_rate": "10",
            "version": fresh(quote.id).version}
    assert auth.post(f"/quotes/{quote.id}/lines/{line.id}", data).status_code == 303
    submit(auth, quote)
    saved = fresh(quote.id)
    assert (saved.status, saved.decision_comment, saved.total_vnd) == ("approved", None, 9_900_000)
    assert db.session.scalar(select(func.count(Notification.id))) == 2  # the manager's request, the rejection


def test_the_owner_gets_the_decision_by_email_too(client, auth, rep, manager, smtp_sink):
    quote = pending_quote(rep)
    auth.login(manager.email)
    decide(auth, quote, "reject", "Giảm chiết khấu <b>xuống</b> 10%")
    [message] = smtp_sink.to(rep.email)
    assert quote.number in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "Giảm chiết khấu <b>xuống</b> 10%" in body and f"/quotes/{quote.id}" in body


def test_a_decision_stands_when_the_mail_server_is_down(client, auth, rep, manager, smtp_sink):
    smtp_sink.stop()
    quote = pending_quote(rep)
    auth.login(manager.email)
    assert decide(auth, quote, "approve").status_code == 303
    assert fresh(quote.id).status == "approved" and len(notifications(rep)) == 1
