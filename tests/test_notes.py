"""Quick call notes: one note and one next step per client key, the last-contact rule, next-step choices,
validation that stores nothing, scoping, CSRF, escaping, and what the answer updates on each page."""
import json
import time as time_module
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, insert, select

from app.extensions import db
from app.models import Activity, Customer
from app.models.base import utcnow
from tests.factories import make_activity, make_customer, make_deal, make_user

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
HTMX = {"HX-Request": "true"}


@pytest.fixture()
def rep():
    return make_user(email="lan@example.vn", name="Phạm Ngọc Lan", locale="en")


@pytest.fixture()
def customer(rep):
    return make_customer(rep, name="Công ty TNHH Thương mại Đức Hưng", phone="+84903123456")


@pytest.fixture()
def signed_in(client, auth, rep):
    auth.login(rep.email)
    return auth


def note_data(**overrides):
    data = {"outcome": "reached", "body": "Khách hẹn gặp thứ Sáu", "next_step": "in_2_days",
            "client_key": str(uuid.uuid4()), "origin": "card"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def save_note(client, auth, customer, htmx=True, **overrides):
    """POST a note as the sheet does (htmx, CSRF in the header) or as the plain page does."""
    token = auth.token()
    data = note_data(**overrides)
    headers = {**HTMX, "X-CSRFToken": token} if htmx else {}
    if not htmx:
        data["csrf_token"] = token
    return client.post(f"/customers/{customer.id}/notes", data=data, headers=headers)


def activities_of(customer):
    db.session.expire_all()
    return db.session.scalars(select(Activity).where(Activity.customer_id == customer.id).order_by(Activity.id)).all()


def local_due(days, hour=9):
    day = datetime.now(HCM).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=HCM)


# --- saving ----------------------------------------------------------------------------------------

def test_a_note_stores_a_done_call_and_a_follow_up_in_two_days(client, signed_in, rep, customer):
    response = save_note(client, signed_in, customer)

    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {"note-saved": {"id": activities_of(customer)[0].id}}
    note, follow_up = activities_of(customer)
    assert (note.kind, note.outcome, note.body, note.owner_id, note.subject) == (
        "call", "reached", "Khách hẹn gặp thứ Sáu", rep.id, "Reached")
    assert note.done_at is not None and note.deal_id is None
    assert (follow_up.kind, follow_up.done_at, follow_up.subject) == ("call", None, "Follow-up call")
    assert follow_up.due_at == local_due(2)
    assert follow_up.client_key == note.client_key + ":next"
    assert db.session.get(Customer, customer.id).last_contact_at == note.done_at
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'hx-swap-oob="afterbegin:#customer-timeline"' in html  # the card's timeline gets the note on top
    assert "Khách hẹn gặp thứ Sáu" in html
    assert 'hx-swap-oob="innerHTML:#flashes"' in html
    assert "Next step: " + local_due(2).strftime("%d/%m/%Y %H:%M") in html
    assert "data-note-form" not in html  # the sheet closes empty: the next note loads a new form (and key)


def test_the_same_client_key_twice_stores_one_note_and_one_next_step(client, signed_in, customer):
    key = str(uuid.uuid4())
    first = save_note(client, signed_in, customer, client_key=key)
    second = save_note(client, signed_in, customer, client_key=key, body="bấm hai lần")

    assert first.status_code == second.status_code == 200
    assert "note-saved" in second.headers["HX-Trigger"]
    assert [(a.outcome, a.body) for a in activities_of(customer)] == [
        ("reached", "Khách hẹn gặp thứ Sáu"), (None, None)]
    assert "customer-timeline" not in second.get_data(as_text=True)  # not added to the timeline twice


def test_a_request_that_loses_the_race_answers_with_the_stored_note(client, signed_in, rep, customer):
    """Another request stores the same key between this one's look-up and its insert: still one note."""
    key = str(uuid.uuid4())
    session = db.session()

    @event.listens_for(session, "before_flush", once=True)
    def the_other_request_wins(*_args):
        with db.engine.begin() as other:  # a second connection, like a second worker
            now = utcnow()
            other.execute(insert(Activity).values(
                kind="call", subject="Reached", outcome="reached", body="đến trước", owner_id=rep.id,
                customer_id=customer.id, client_key=key, due_at=now, done_at=now, created_at=now, updated_at=now))

    from app.services.activities.notes import log_call

    with client.application.test_request_context():
        logged = log_call(db.session.get(type(rep), rep.id), customer, "busy", "đến sau", key, next_due=local_due(2))
        assert logged.created is False
        assert logged.note.body == "đến trước"
    assert [a.body for a in activities_of(customer)] == ["đến trước"]


@pytest.mark.parametrize("outcome, counts_as_contact", [
    ("reached", True), ("busy", True), ("call_back", True), ("not_interested", True), ("no_answer", False)])
def test_every_outcome_but_no_answer_is_contact(client, signed_in, customer, outcome, counts_as_contact):
    version = customer.version
    assert save_note(client, signed_in, customer, outcome=outcome).status_code == 200
    saved = db.session.get(Customer, customer.id)
    assert activities_of(customer)[0].outcome == outcome
    assert (saved.last_contact_at is not None) is counts_as_contact
    assert saved.version == version  # contact is not an edit: an edit form open elsewhere is not made stale


@pytest.mark.parametrize("choice, days", [("tomorrow", 1), ("in_2_days", 2), ("next_week", 7)])
def test_quick_next_step_choices(client, signed_in, customer, choice, days):
    save_note(client, signed_in, customer, next_step=choice)
    assert activities_of(customer)[1].due_at == local_due(days)


def test_a_chosen_date_and_time(client, signed_in, customer):
    day = datetime.now(HCM).date() + timedelta(days=3)
    save_note(client, signed_in, customer, next_step="date", next_on=day.strftime("%d/%m/%Y"), next_at="14:30")
    assert activities_of(customer)[1].due_at == datetime.combine(day, time(14, 30), tzinfo=HCM)


def test_no_next_step(client, signed_in, customer):
    response = save_note(client, signed_in, customer, next_step="none")
    assert response.status_code == 200
    assert [a.outcome for a in activities_of(customer)] == ["reached"]
    assert "Call saved." in response.get_data(as_text=True)


def test_the_form_offers_a_follow_up_in_two_days_by_default(client, signed_in, customer):
    response = client.get(f"/customers/{customer.id}/notes/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert '<input checked id="next_step-0" name="next_step" type="radio" value="in_2_days">' in html
    assert html.count(" checked ") == 1  # no outcome chosen in advance
    two_days = (datetime.now(HCM).date() + timedelta(days=2)).strftime("%d/%m/%Y")
    assert two_days in html  # the date each choice stands for, dd/mm/yyyy
    fragment = client.get(f"/customers/{customer.id}/notes/new", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and "data-note-form" in fragment and "hx-post" in fragment


# --- refused: nothing stored -----------------------------------------------------------------------

@pytest.mark.parametrize("overrides, field, message", [
    ({"outcome": None}, "outcome", "Choose how the call went."),
    ({"outcome": "angry"}, "outcome", "Choose how the call went."),
    ({"body": "x" * 2001}, "body", "The note is too long: at most 2000 characters."),
    ({"next_step": "date", "next_on": None}, "next_on", "Pick the day of the next step."),
    ({"next_step": "date", "next_on": "01/01/2020"}, "next_on", "The next step cannot be in the past."),
    ({"client_key": "short"}, None, "This form is out of date. Close it and open it again."),
])
def test_invalid_notes_come_back_with_the_error_next_to_the_field(client, signed_in, customer, overrides, field,
                                                                   message):
    response = save_note(client, signed_in, customer, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "HX-Trigger" not in response.headers  # the sheet stays open
    assert message in html
    if field:
        assert f'<p class="field-error" id="{field}-error">{message}' in html
    assert "<html" not in html
    assert activities_of(customer) == []
    assert db.session.get(Customer, customer.id).last_contact_at is None


def test_earlier_today_is_in_the_past(client, signed_in, customer):
    now = datetime.now(HCM)
    if now.hour == 0 and now.minute < 2:  # no earlier minute today yet: wait for one (at most two minutes)
        time_module.sleep((2 - now.minute) * 60 - now.second + 1)
        now = datetime.now(HCM)
    earlier = (now - timedelta(minutes=1)).strftime("%H:%M")
    response = save_note(client, signed_in, customer, next_step="date", next_on=now.strftime("%Y-%m-%d"),
                         next_at=earlier)
    assert response.status_code == 422
    assert "The next step cannot be in the past." in response.get_data(as_text=True)
    assert activities_of(customer) == []


def test_errors_are_in_the_users_language(client, auth, customer):
    vi_rep = make_user(locale="vi")
    mine = make_customer(vi_rep)
    auth.login(vi_rep.email)
    response = save_note(client, auth, mine, outcome=None)
    assert response.status_code == 422
    assert 'lang="vi"' not in response.get_data(as_text=True)  # a fragment, rendered with the user's catalogue
    assert activities_of(mine) == []


# --- access ------------------------------------------------------------------------------------------

def test_another_reps_customer_is_404_and_nothing_is_stored(client, signed_in, rep):
    theirs = make_customer(make_user(), name="Khách của người khác")
    assert client.get(f"/customers/{theirs.id}/notes/new").status_code == 404
    assert save_note(client, signed_in, theirs).status_code == 404
    assert save_note(client, signed_in, theirs, htmx=False).status_code == 404
    assert activities_of(theirs) == []
    assert db.session.get(Customer, theirs.id).last_contact_at is None


def test_another_reps_deal_or_agenda_item_cannot_be_linked(client, signed_in, customer):
    other = make_user()
    their_deal = make_deal(make_customer(other))
    their_item = make_activity(other, customer=customer)
    assert client.get(f"/customers/{customer.id}/notes/new?deal={their_deal.id}").status_code == 404
    assert client.get(f"/customers/{customer.id}/notes/new?activity={their_item.id}").status_code == 404
    assert save_note(client, signed_in, customer, deal_id=str(their_deal.id)).status_code == 422
    assert save_note(client, signed_in, customer, activity_id=str(their_item.id)).status_code == 404
    for bogus in ("99999999999999999999999", "-3", "abc"):
        assert client.get(f"/customers/{customer.id}/notes/new?deal={bogus}").status_code == 404
        assert client.get(f"/customers/{customer.id}/notes/new?activity={bogus}").status_code == 404
        assert save_note(client, signed_in, customer, deal_id=bogus).status_code == 422
        assert save_note(client, signed_in, customer, activity_id=bogus).status_code == 404
    assert [a.id for a in activities_of(customer)] == [their_item.id]
    assert db.session.get(Activity, their_item.id).done_at is None


def test_extra_fields_are_ignored(client, signed_in, rep, customer):
    other = make_user()
    save_note(client, signed_in, customer, owner_id=str(other.id), done_at="", kind="task", customer_id="999")
    assert {(a.owner_id, a.kind, a.customer_id) for a in activities_of(customer)} == {(rep.id, "call", customer.id)}


def test_csrf_token_is_required(client, signed_in, customer):
    response = client.post(f"/customers/{customer.id}/notes", data=note_data(), headers=HTMX)
    assert response.status_code == 400
    assert activities_of(customer) == []


def test_get_does_not_save(client, signed_in, customer):
    assert client.get(f"/customers/{customer.id}/notes").status_code == 405
    assert activities_of(customer) == []


# --- escaping ------------------------------------------------------------------------------------------

def test_a_note_with_markup_is_escaped_in_the_timeline_fragment_and_the_card(client, signed_in, customer):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = save_note(client, signed_in, customer, body=attack)
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html
    card = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "<script>alert" not in card and "&lt;script&gt;alert(" in card


# --- where it came from ----------------------------------------------------------------------------------

def test_from_a_deal_the_note_and_the_next_step_belong_to_the_deal(client, signed_in, customer):
    deal = make_deal(customer)
    page = client.get(f"/deals/{deal.id}").get_data(as_text=True)
    assert f'href="/customers/{customer.id}/notes/new?deal={deal.id}&amp;from=deal" data-note-open' in page
    assert f'data-note-url="/customers/{customer.id}/notes/new?deal={deal.id}&amp;from=deal"' in page
    # The sheet's form loads when it opens: pre-linked to the deal.
    sheet = client.get(f"/customers/{customer.id}/notes/new?deal={deal.id}&from=deal", headers=HTMX).get_data(as_text=True)
    assert f'<option selected value="{deal.id}">' in sheet and "<html" not in sheet

    response = save_note(client, signed_in, customer, origin="deal", deal_id=str(deal.id))
    assert response.status_code == 200
    assert [a.deal_id for a in activities_of(customer)] == [deal.id, deal.id]
    assert 'hx-swap-oob="afterbegin:#timeline"' in response.get_data(as_text=True)
    assert 'id="timeline"' in client.get(f"/deals/{deal.id}").get_data(as_text=True)


def test_from_today_the_call_closes_the_agenda_item_and_the_agenda_is_sent_again(client, signed_in, rep, customer):
    item = make_activity(rep, customer=customer, subject="Gọi xác nhận đơn hàng")  # due later today
    today = client.get("/").get_data(as_text=True)
    link = f"/customers/{customer.id}/notes/new?activity={item.id}&amp;from=today"
    assert link in today and 'id="note-sheet"' in today
    form = client.get(link.replace("&amp;", "&"), headers=HTMX).get_data(as_text=True)
    assert f'name="activity_id" type="hidden" value="{item.id}"' in form

    response = save_note(client, signed_in, customer, origin="today", activity_id=str(item.id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="agenda" hx-swap-oob="true"' in html
    assert "Gọi xác nhận đơn hàng" not in html  # no longer on the agenda
    db.session.expire_all()
    assert db.session.get(Activity, item.id).done_at is not None
    assert len(activities_of(customer)) == 3  # the item, the note, the next step


def test_without_javascript_the_page_posts_and_goes_back(client, signed_in, rep, customer):
    response = save_note(client, signed_in, customer, htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{customer.id}")
    item = make_activity(rep, customer=customer)
    response = save_note(client, signed_in, customer, htmx=False, origin="today", activity_id=str(item.id))
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    assert "Call saved." in client.get("/").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Activity.id)).where(Activity.outcome == "reached")) == 2


def test_a_refused_page_post_shows_the_whole_page_again(client, signed_in, customer):
    response = save_note(client, signed_in, customer, htmx=False, outcome=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html and "Choose how the call went." in html
    assert "hx-post" not in html.split('data-note-form')[0].rsplit("<form", 1)[1]  # a plain form on its own page


def test_the_card_carries_the_note_button_and_the_sheet(client, signed_in, customer):
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert f'href="/customers/{customer.id}/notes/new" data-note-open' in html
    assert f'data-note-url="/customers/{customer.id}/notes/new"' in html
    # The form is not rendered with the card: the sheet loads it when it opens (or while a call runs).
    assert "data-note-form" not in html
    sheet = client.get(f"/customers/{customer.id}/notes/new", headers=HTMX).get_data(as_text=True)
    assert 'data-source="/customers/{}/notes/new"'.format(customer.id) in sheet and "data-note-form" in sheet
