"""Merging duplicate customers: everything moves, the removed one is kept for review, scope and versions hold."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity, AuditEvent, Contact, Customer, CustomerMerge, Deal, Tag
from tests.factories import make_activity, make_customer, make_deal, make_team, make_user


@pytest.fixture()
def people():
    south, north = make_team("Miền Nam"), make_team("Miền Bắc")
    return {
        "manager": make_user(role="manager", team=south, locale="en"),
        "rep": make_user(team=south, locale="en"),
        "rep2": make_user(team=south, locale="en"),
        "north_manager": make_user(role="manager", team=north, locale="en"),
        "north_rep": make_user(team=north, locale="en"),
        "admin": make_user(role="admin", locale="en"),
    }


@pytest.fixture()
def pair(people):
    """A (kept) and B (a duplicate of another rep of the same team) with contacts, deals, activities and tags."""
    vip, q1 = Tag(name="VIP"), Tag(name="Q1")
    a = make_customer(people["rep"], name="Công ty Đức Hưng", phone="+84903123456", tax_code="0311111111", tags=[vip])
    b = make_customer(people["rep2"], name="Đức Hưng", phone="+84903123456", phone_alt="+84283822123",
                      email="duchung@example.vn", tax_code="0322222222", notes="Gặp chị Lan", tags=[vip, q1],
                      last_contact_at=datetime(2026, 5, 4, 3, 0, tzinfo=timezone.utc))
    db.session.add_all([Contact(customer=b, name="Chị Lan", phone="+84912345678"), Contact(customer=b, name="Anh Tuấn")])
    db.session.commit()
    deal = make_deal(b)
    activities = [make_activity(people["rep2"], b), make_activity(people["rep2"], b, kind="note", subject="Ghi chú")]
    return {"a": a, "b": b, "deal": deal, "activities": activities, "contacts": [c.id for c in b.contacts]}


def _merge_url(a, b):
    return f"/customers/merge?a={a}&b={b}"


def _post_merge(auth, a, b, **fields):
    data = {"survivor": "a", "version_a": a.version, "version_b": b.version}
    data.update(fields)
    return auth.post(_merge_url(a.id, b.id), data)


def _nothing_merged(pair):
    db.session.expire_all()
    b = db.session.get(Customer, pair["b"].id)
    assert b is not None and b.version == pair["b_version"]
    assert sorted(c.id for c in b.contacts) == sorted(pair["contacts"])
    assert db.session.get(Deal, pair["deal"].id).customer_id == b.id
    assert {a.customer_id for a in db.session.scalars(select(Activity))} == {b.id}
    assert db.session.scalar(select(func.count()).select_from(CustomerMerge)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "customer.merge")) == 0


def test_preview_shows_both_customers_side_by_side(client, auth, people, pair):
    auth.login(people["manager"].email)
    page = client.get(_merge_url(pair["a"].id, pair["b"].id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Công ty Đức Hưng" in html and "duchung@example.vn" in html
    assert f'name="version_b" required type="hidden" value="{pair["b"].version}"' in html
    # The older customer is suggested as the one to keep; its empty e-mail takes B's.
    assert 'name="survivor" value="a" checked' in html
    assert '<input checked id="keep_email-1" name="keep_email" type="radio" value="b">' in html
    assert '<input checked id="keep_name-0" name="keep_name" type="radio" value="a">' in html


def test_merge_moves_everything_and_keeps_a_snapshot(client, auth, people, pair):
    a, b = pair["a"], pair["b"]
    a_id, b_id = a.id, b.id
    auth.login(people["manager"].email)
    response = _post_merge(auth, a, b, keep_name="b", keep_tax_code="b", keep_notes="both")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{a_id}")
    db.session.expire_all()
    survivor = db.session.get(Customer, a_id)
    assert db.session.get(Customer, b_id) is None
    assert survivor.name == "Đức Hưng"
    assert survivor.tax_code == "0322222222"  # taken from the removed customer: unique, freed first
    assert survivor.email == "duchung@example.vn" and survivor.phone_alt == "+84283822123"  # empty fields filled
    assert survivor.notes == "Gặp chị Lan"
    assert survivor.last_contact_at == datetime(2026, 5, 4, 3, 0, tzinfo=timezone.utc)  # the later of the two
    assert survivor.owner_id == people["rep"].id and survivor.version == 2
    assert sorted(c.id for c in survivor.contacts) == sorted(pair["contacts"])
    assert db.session.get(Deal, pair["deal"].id).customer_id == a.id
    assert {x.customer_id for x in db.session.scalars(select(Activity))} == {a.id}
    assert sorted(t.name for t in survivor.tags) == ["Q1", "VIP"]

    merge = db.session.scalar(select(CustomerMerge))
    assert merge.survivor_id == a.id and merge.merged_customer_id == b_id and merge.merged_name == "Đức Hưng"
    assert merge.actor_id == people["manager"].id
    assert merge.snapshot["tax_code"] == "0322222222" and merge.snapshot["email"] == "duchung@example.vn"
    assert sorted(c["name"] for c in merge.snapshot["contacts"]) == ["Anh Tuấn", "Chị Lan"]
    assert sorted(merge.snapshot["tags"]) == ["Q1", "VIP"]
    assert sorted(merge.moved["contacts"]) == sorted(pair["contacts"])
    assert merge.moved["deals"] == [pair["deal"].id]
    assert sorted(merge.moved["activities"]) == sorted(x.id for x in pair["activities"])
    assert merge.moved["tags"] == [db.session.scalar(select(Tag.id).where(Tag.name == "Q1"))]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.merge"))
    assert event.entity_type == "customers" and event.entity_id == a.id and event.actor_id == people["manager"].id
    assert event.before["merged"]["id"] == b_id and event.after["merge_id"] == merge.id


def test_the_second_customer_can_be_the_survivor(client, auth, people, pair):
    a, b = pair["a"], pair["b"]
    a_id, b_id = a.id, b.id
    auth.login(people["admin"].email)
    assert _post_merge(auth, a, b, survivor="b").status_code == 303
    db.session.expire_all()
    assert db.session.get(Customer, a_id) is None
    survivor = db.session.get(Customer, b_id)
    assert survivor.tax_code == "0322222222" and survivor.name == "Đức Hưng"  # its own values by default
    assert db.session.scalar(select(CustomerMerge)).snapshot["tax_code"] == "0311111111"


def test_earlier_merges_follow_the_survivor(client, auth, people, pair):
    c = make_customer(people["rep2"], name="Đức Hưng cũ")
    auth.login(people["manager"].email)
    b = pair["b"]
    assert auth.post(_merge_url(b.id, c.id), {"survivor": "a", "version_a": b.version, "version_b": c.version}).status_code == 303
    db.session.expire_all()
    a, b = db.session.get(Customer, pair["a"].id), db.session.get(Customer, b.id)
    assert _post_merge(auth, a, b).status_code == 303
    db.session.expire_all()
    assert {m.survivor_id for m in db.session.scalars(select(CustomerMerge))} == {a.id}


def test_stale_version_is_a_conflict_and_changes_nothing(client, auth, people, pair):
    a, b = pair["a"], pair["b"]
    auth.login(people["manager"].email)
    seen_version = b.version
    b.notes = "changed meanwhile"
    db.session.commit()
    pair["b_version"] = b.version
    response = auth.post(_merge_url(a.id, b.id), {"survivor": "a", "version_a": a.version, "version_b": seen_version})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "changed meanwhile" in html and "Nothing was merged" in html
    assert f'name="version_b" required type="hidden" value="{b.version}"' in html
    _nothing_merged(pair)
    assert db.session.get(Customer, a.id).version == 1


def test_reps_are_refused_and_scope_is_a_404(client, auth, people, pair):
    a, b = pair["a"], pair["b"]
    pair["b_version"] = b.version
    auth.login(people["rep"].email)
    assert client.get(_merge_url(a.id, b.id)).status_code == 403
    assert _post_merge(auth, a, b).status_code == 403
    for path in ("/customers/merges", "/customers/duplicates"):
        assert client.get(path).status_code == 403
    auth.logout()

    auth.login(people["north_manager"].email)
    assert client.get(_merge_url(a.id, b.id)).status_code == 404
    assert _post_merge(auth, a, b).status_code == 404
    north = make_customer(people["north_rep"], name="Đức Hưng Bắc", phone="+84903123456")
    assert client.get(_merge_url(north.id, b.id)).status_code == 404  # one of the two outside the scope
    assert client.get(_merge_url(north.id, 999999)).status_code == 404
    assert client.get("/customers/merge?a=1").status_code == 404
    assert client.get(f"/customers/merge?a={north.id}&b=99999999999999999999999").status_code == 404
    assert client.get(_merge_url(north.id, north.id)).status_code == 400
    _nothing_merged(pair)


def test_invalid_choice_is_refused(client, auth, people, pair):
    pair["b_version"] = pair["b"].version
    auth.login(people["manager"].email)
    assert _post_merge(auth, pair["a"], pair["b"], keep_name="c").status_code == 400
    assert _post_merge(auth, pair["a"], pair["b"], survivor="").status_code == 400
    _nothing_merged(pair)


def test_merge_needs_a_csrf_token(client, auth, people, pair):
    pair["b_version"] = pair["b"].version
    auth.login(people["manager"].email)
    a, b = pair["a"], pair["b"]
    response = client.post(_merge_url(a.id, b.id), data={"survivor": "a", "version_a": a.version, "version_b": b.version})
    assert response.status_code == 400
    _nothing_merged(pair)


def test_review_pages_are_scoped(client, auth, people, pair):
    a, b = pair["a"], pair["b"]
    auth.login(people["manager"].email)
    _post_merge(auth, a, b)
    merge = db.session.scalar(select(CustomerMerge))
    listing = client.get("/customers/merges").get_data(as_text=True)
    assert f"/customers/merges/{merge.id}" in listing and "Đức Hưng" in listing
    detail = client.get(f"/customers/merges/{merge.id}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert "duchung@example.vn" in html and "Chị Lan" in html and f"#{pair['deal'].id}" in html
    fragment = client.get(f"/customers/merges/{merge.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Chị Lan" in fragment
    auth.logout()

    auth.login(people["north_manager"].email)
    assert f"/customers/merges/{merge.id}" not in client.get("/customers/merges").get_data(as_text=True)
    assert client.get(f"/customers/merges/{merge.id}").status_code == 404
    auth.logout()
    auth.login(people["admin"].email)
    assert client.get(f"/customers/merges/{merge.id}").status_code == 200


def test_duplicates_page_lists_shared_values_within_scope(client, auth, people, pair):
    a, b = pair["a"], pair["b"]
    make_customer(people["rep"], name="Khác", email="DucHung@Example.vn ")  # e-mail differs only in case and spaces
    make_customer(people["north_rep"], name="Bắc", phone="+84903123456")
    auth.login(people["manager"].email)
    html = client.get("/customers/duplicates").get_data(as_text=True)
    assert f"/customers/merge?a={a.id}&amp;b={b.id}" in html
    assert "duchung@example.vn" in html  # the e-mail group
    assert "Bắc" not in html
    auth.logout()
    auth.login(people["north_manager"].email)
    html = client.get("/customers/duplicates").get_data(as_text=True)
    assert "Đức Hưng" not in html and "No likely duplicates" in html


def test_duplicates_page_is_paginated(client, auth, people):
    for n in range(23):
        for _ in range(2):
            make_customer(people["rep"], phone=f"+849031{n:05d}")
    auth.login(people["manager"].email)
    first = client.get("/customers/duplicates").get_data(as_text=True)
    second = client.get("/customers/duplicates?page=2").get_data(as_text=True)
    assert first.count("Merge…") == 20 and second.count("Merge…") == 3
    assert "/customers/duplicates?page=2" in first


def test_pages_answer_htmx_with_a_fragment(client, auth, people, pair):
    auth.login(people["manager"].email)
    for path in (_merge_url(pair["a"].id, pair["b"].id), "/customers/merges", "/customers/duplicates"):
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.get_data(as_text=True), path
