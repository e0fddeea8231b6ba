"""Likely duplicates by phone (any format), e-mail, tax code and similar names; others' records only counted."""
import unicodedata

import pytest

from app.extensions import db
from app.models import Contact
from app.services.customers.dedup import core_name, likely_duplicates, names_similar, normalise_tax_code
from app.services.common.search import customer_text_conditions
from app.models import Customer
from tests.factories import make_customer, make_team, make_user


@pytest.fixture()
def people():
    south = make_team("Miền Nam")
    return {"rep": make_user(team=south), "other": make_user(team=south),
            "manager": make_user(role="manager", team=south)}


def test_core_name_drops_legal_words_and_folds_nfc_and_nfd():
    nfc = "CÔNG TY TNHH Thương mại Đức Hưng"
    nfd = unicodedata.normalize("NFD", nfc)
    assert core_name(nfc) == core_name(nfd) == "duc hung"
    assert core_name("Cty CP Đức Hưng") == "duc hung"
    assert names_similar("Công ty Đức Hưng", "DUC HUNG") and names_similar("Đức Hưng", "Duc Hungg")
    assert not names_similar("Đức Hưng", "Minh Hưng")


def test_tax_code_normalisation():
    assert normalise_tax_code(" 0312 345.678-001 ") == "0312345678-001"
    assert normalise_tax_code("  ") is None


@pytest.mark.parametrize("typed", ["0903 123 456", "+84 903-123-456", "84903123456", "0903.123.456", "+84 (0) 903123456"])
def test_phone_in_any_format_finds_the_customer(people, typed):
    existing = make_customer(people["rep"], name="Nhà hàng Phố Biển", phone="+84903123456")
    found = likely_duplicates(people["rep"], name="Khác hẳn", phone=typed)
    assert [(c.id, why) for c, why in found.visible] == [(existing.id, ["phone"])]


def test_contact_phone_email_and_tax_code_match(people):
    existing = make_customer(people["rep"], name="Quán Cà Phê Sáng", email="sang@example.vn", tax_code="0312345678")
    db.session.add(Contact(customer=existing, name="Chị Lan", phone="+84912345678"))
    db.session.commit()
    found = likely_duplicates(people["rep"], phone="0912 345 678", email=" SANG@example.vn ", tax_code="0312 345 678")
    assert found.visible == [(existing, ["phone", "email", "tax_code"])]


def test_similar_name_matches_without_diacritics_but_not_itself(people):
    existing = make_customer(people["rep"], name="Công ty TNHH Đức Hưng")
    assert [c for c, _ in likely_duplicates(people["rep"], name="duc hung").visible] == [existing]
    assert not likely_duplicates(people["rep"], name="Đức Hưng", exclude_id=existing.id)
    assert not likely_duplicates(people["rep"], name="Bảo Minh")


def test_another_reps_match_is_counted_not_shown(people):
    make_customer(people["other"], name="Đức Hưng", phone="+84903123456")
    found = likely_duplicates(people["rep"], name="Đức Hưng", phone="0903123456")
    assert found.visible == [] and found.hidden_count == 1 and found
    assert [c.name for c, _ in likely_duplicates(people["manager"], phone="0903123456").visible] == ["Đức Hưng"]


def test_text_search_conditions_ignore_diacritics_and_match_parts_of_words(people):
    make_customer(people["rep"], name="Công ty Đức Hưng", phone="+84903123456")
    make_customer(people["rep"], name="Minh Anh")

    def names(query):
        return sorted(db.session.scalars(db.select(Customer.name).where(*customer_text_conditions(query))))

    assert names("duc hung") == names("ĐỨC HƯNG") == names("hưn") == ["Công ty Đức Hưng"]
    assert names("0903 123 456") == names("+84903123456") == ["Công ty Đức Hưng"]
    assert names("an") == ["Minh Anh"]  # shorter than a trigram: plain LIKE
    assert names('"; DROP') == [] and names("100%") == []


def test_several_phones_are_checked_at_once_and_hidden_matches_all_counted(people):
    make_customer(people["other"], name="Một", phone="+84903123456")
    make_customer(people["other"], name="Hai", phone_alt="+84912345678")
    mine = make_customer(people["rep"], name="Của tôi", phone="+84912345678")
    found = likely_duplicates(people["rep"], phone=["0903 123 456", "0912.345.678", ""])
    assert [c for c, _ in found.visible] == [mine] and found.hidden_count == 2


def test_owner_scoped_search_gives_the_same_answer(people):
    for name in ("Đức Hưng", "Hưng Thịnh", "Minh Hưng", "Bảo An"):
        make_customer(people["rep"], name=name)

    def names(query, owner_scoped):
        stmt = db.select(Customer.name).where(Customer.owner_id == people["rep"].id,
                                              *customer_text_conditions(query, owner_scoped))
        return sorted(db.session.scalars(stmt))

    for owner_scoped in (True, False):
        assert names("hung", owner_scoped) == ["Hưng Thịnh", "Minh Hưng", "Đức Hưng"]
        assert names("duc hung", owner_scoped) == ["Đức Hưng"]
        assert names("zzz", owner_scoped) == [] and names("an", owner_scoped) == ["Bảo An"]
