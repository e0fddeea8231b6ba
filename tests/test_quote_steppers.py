"""The − / + buttons beside a line's quantity: submit buttons of the line form (step=-1/+1) that the server
applies to the quantity posted, with or without htmx; the stale-version check and the totals as for any change."""
import re
from decimal import Decimal

import pytest

from app.blueprints.quotes.forms import MAX_QUANTITY, stepped_quantity
from tests.factories import make_customer, make_deal, make_quote, make_user
from tests.test_quotes import HX, fresh, totals_block, update


@pytest.fixture()
def rep(auth):
    user = make_user(email="an@example.vn", name="Nguyễn Văn An")
    auth.login(user.email)
    return user


def one_line_quote(rep, quantity=1):
    return make_quote(make_deal(make_customer(rep)),
                      lines=[{"description": "Máy lạnh", "quantity": quantity, "unit_price_vnd": 1_000_000}])


@pytest.mark.parametrize("quantity, step, expected", [
    ("1", 1, "2"), ("2", -1, "1"), ("1", -1, "1"), ("1.5", 1, "2.5"), ("2.5", -1, "1.5"), ("1.5", -1, "1"),
    ("0.5", -1, "0.5"), ("0.5", 1, "1.5"), ("3", 0, "3"), (str(MAX_QUANTITY), 1, str(MAX_QUANTITY)),
])
def test_the_stepper_arithmetic(quantity, step, expected):
    assert stepped_quantity(Decimal(quantity), step) == Decimal(expected)


def test_plus_without_javascript_adds_one_to_the_posted_quantity_and_redirects_to_the_builder(client, auth, rep):
    quote = one_line_quote(rep)
    line = quote.lines[0]
    response = update(auth, quote, line, quantity="1", unit_price_vnd="1.000.000", step="+1")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/quotes/{quote.id}")
    saved = fresh(quote.id)
    assert (saved.lines[0].quantity, saved.total_vnd) == (2, 2_200_000)
    # What the field held when the button was pressed counts: 4 typed, then +, is 5.
    update(auth, quote, line, quantity="4", unit_price_vnd="1.000.000", step="+1")
    assert fresh(quote.id).lines[0].quantity == 5


def test_minus_never_goes_below_one_and_decimals_stay_allowed(client, auth, rep):
    quote = one_line_quote(rep, quantity="2.5")
    line = quote.lines[0]
    for expected in ("1.5", "1", "1"):
        update(auth, quote, line, quantity=str(fresh(quote.id).lines[0].quantity), unit_price_vnd="1.000.000",
               step="-1")
        assert fresh(quote.id).lines[0].quantity == Decimal(expected)
    update(auth, quote, line, quantity="0,5", unit_price_vnd="1.000.000", step="-1")
    assert fresh(quote.id).lines[0].quantity == Decimal("0.5")  # typed, kept: − does not refuse nor round it
    update(auth, quote, line, quantity="0,5", unit_price_vnd="1.000.000", step="+1")
    assert fresh(quote.id).lines[0].quantity == Decimal("1.5")


@pytest.mark.parametrize("step", ["+2", "10", "-100", "abc", ""])
def test_an_unknown_step_is_no_step(client, auth, rep, step):
    quote = one_line_quote(rep)
    update(auth, quote, quote.lines[0], quantity="3", unit_price_vnd="1.000.000", step=step)
    assert fresh(quote.id).lines[0].quantity == 3


def test_an_htmx_step_answers_with_the_new_quantity_and_the_totals_out_of_band(client, auth, rep):
    quote = one_line_quote(rep)
    line = quote.lines[0]
    response = update(auth, quote, line, headers=HX, quantity="1", unit_price_vnd="1.000.000", step="+1")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Reswap"] == "none"  # the row stays: the buttons keep the focus for the next tap
    assert re.search(rf'<input[^>]*hx-swap-oob="true"[^>]*id="line-{line.id}-quantity"[^>]*value="2"', html) or \
        re.search(rf'<input[^>]*id="line-{line.id}-quantity"[^>]*hx-swap-oob="true"', html)
    assert 'value="2"' in html
    assert "2.200.000 ₫" in totals_block(html)
    assert f'id="line-{line.id}-amount" data-line-amount hx-swap-oob="true">2.000.000 ₫' in html
    # A change without a step does not send the input back (the rep may be typing in it).
    plain = update(auth, quote, line, headers=HX, quantity="3", unit_price_vnd="1.000.000")
    assert f'id="line-{line.id}-quantity"' not in plain.get_data(as_text=True)


def test_a_stale_step_gets_409_with_the_current_quote_and_writes_nothing(client, auth, rep):
    quote = one_line_quote(rep)
    line = quote.lines[0]
    seen = quote.version
    update(auth, quote, line, quantity="4", unit_price_vnd="1.000.000")  # another phone
    response = update(auth, quote, line, headers=HX, version=seen, quantity="1", unit_price_vnd="1.000.000",
                      step="+1")
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#quote-builder"
    assert "Dữ liệu vừa được người khác cập nhật" in response.get_data(as_text=True)
    assert fresh(quote.id).lines[0].quantity == 4


def test_a_step_on_a_bad_quantity_shows_the_error_and_saves_nothing(client, auth, rep):
    quote = one_line_quote(rep)
    response = update(auth, quote, quote.lines[0], headers=HX, quantity="abc", unit_price_vnd="1.000.000", step="+1")
    assert response.status_code == 400 and "field-error" in response.get_data(as_text=True)
    assert fresh(quote.id).lines[0].quantity == 1


def test_another_reps_line_cannot_be_stepped(client, auth, rep):
    other = make_user(email="binh@example.vn")
    quote = one_line_quote(other)
    response = update(auth, quote, quote.lines[0], quantity="1", unit_price_vnd="1.000.000", step="+1")
    assert response.status_code == 404 and fresh(quote.id).lines[0].quantity == 1


def test_a_step_needs_the_csrf_token(client, auth, rep):
    quote = one_line_quote(rep)
    line = quote.lines[0]
    response = client.post(f"/quotes/{quote.id}/lines/{line.id}",
                           data={"quantity": "1", "unit": "cái", "unit_price_vnd": "1000000", "vat_rate": "10",
                                 "step": "+1", "version": quote.version})
    assert response.status_code == 400 and fresh(quote.id).lines[0].quantity == 1


def test_the_builder_shows_the_buttons_after_the_hidden_save_button(client, rep):
    quote = one_line_quote(rep)
    html = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    form = html[html.index('class="line-form"'):]
    form = form[:form.index("</form>")]
    assert 'name="step" value="-1"' in form and 'name="step" value="+1"' in form
    assert 'aria-label="Giảm số lượng đi 1"' in form and 'aria-label="Tăng số lượng thêm 1"' in form
    # Enter in a field submits with the form's first submit button: it must be the plain save, not − or +.
    assert form.index("Lưu dòng") < form.index('name="step"')
