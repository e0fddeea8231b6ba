"""No input answers 500 (#19): over-long fields, integers no column can hold, control characters.

Every form of the app is posted with each field one character over its Length limit, in Vietnamese and
English; every route is called with 2**63, 10**30 and -2**63-1 in each integer it reads.
"""
import html
import importlib
import inspect
import pkgutil
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, get_translations
from sqlalchemy import select
from wtforms import IntegerField, SelectField
from wtforms.validators import Length

import app.blueprints as blueprints
from app.extensions import db
from app.forms import BaseForm
from app.models import Customer, Deal, Invitation, Stage, Team
from app.models.base import utcnow
from app.models.users import hash_token
from tests.conftest import csrf_token_from
from tests.factories import make_contact, make_customer, make_deal, make_product, make_quote, make_team, make_user

HUGE = (str(2**63), str(10**30), str(-(2**63) - 1), str(2**31))  # 2**31: past a PostgreSQL INTEGER id
LINES = [{"description": "Máy lọc nước RO", "unit": "bộ", "quantity": 1, "unit_price_vnd": 10_000_000, "vat_rate": 10}]
PUBLIC_TOKEN = "t" * 43
INVITE_TOKEN = "i" * 43


def all_forms():
    """Every BaseForm subclass the blueprints define (their forms and routes modules imported)."""
    for module in pkgutil.iter_modules(blueprints.__path__):
        for part in ("forms", "routes"):
            try:
                importlib.import_module(f"app.blueprints.{module.name}.{part}")
            except ModuleNotFoundError:
                pass

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return set(subclasses(BaseForm))


def length_limits(form_class):
    """{field name: its Length validator} for the form's declared fields."""
    limits = {}
    for name in dir(form_class):
        unbound = getattr(form_class, name, None)
        for validator in getattr(unbound, "kwargs", {}).get("validators", ()) if hasattr(unbound, "field_class") else ():
            if isinstance(validator, Length) and validator.max >= 0:
                limits[name] = (validator, unbound.field_class)
    return limits


@pytest.fixture()
def world(app):
    """Records every form acts on; the admin acts (sees and edits everything), the rep owns the records."""
    team = make_team("Miền Nam")
    admin = make_user(role="admin", email="admin@example.vn")
    rep = make_user(team=team, email="an@example.vn")
    customer = make_customer(rep, name="Công ty Đức Hưng", email="info@duchung.vn")
    contact = make_contact(customer, name="Chị Chi", email="chi@duchung.vn", is_primary=True)
    deal = make_deal(customer, stage_key="consulting")
    draft = make_quote(deal, lines=LINES)
    approved = make_quote(make_deal(customer, stage_key="consulting"), lines=LINES, status="approved")
    pending = make_quote(make_deal(customer, stage_key="consulting"), lines=LINES, status="pending_approval")
    public = make_quote(make_deal(customer, stage_key="consulting"), lines=LINES, status="sent",
                        token_hash=hash_token(PUBLIC_TOKEN))
    product = make_product()
    invited = make_user(email="moi@example.vn", password=None)
    db.session.add(Invitation(user=invited, token_hash=hash_token(INVITE_TOKEN), created_by_id=admin.id,
                              expires_at=utcnow() + timedelta(days=3)))
    db.session.commit()
    stage = db.session.scalar(select(Stage).order_by(Stage.position))
    lost = db.session.scalar(select(Stage).where(Stage.key == "lost"))
    return dict(lost=lost, team=team, admin=admin, rep=rep, customer=customer, contact=contact, deal=deal, draft=draft,
                approved=approved, pending=pending, public=public, product=product, stage=stage)


def form_posts(w):
    """(form class name, url, extra data, signed in?) for every form; a guard test keeps it complete."""
    draft, line = w["draft"], w["draft"].lines[0]
    return [
        ("LoginForm", "/login", {}, False),
        ("SetPasswordForm", f"/invite/{INVITE_TOKEN}", {}, False),
        ("LanguageForm", "/language", {"lang": "en"}, False),
        ("AcceptForm", f"/q/{PUBLIC_TOKEN}/accept", {"confirm": "y"}, False),
        ("DeclineForm", f"/q/{PUBLIC_TOKEN}/decline", {}, False),
        ("NoteForm", f"/customers/{w['customer'].id}/notes", {}, True),
        ("CheckInForm", f"/customers/{w['customer'].id}/visits", {}, True),
        ("RescheduleForm", "/agenda/activities/1/reschedule", {}, True),
        ("UserForm", f"/admin/users/{w['rep'].id}", {"role": "rep"}, True),
        ("NewUserForm", "/admin/users/new", {"role": "rep"}, True),
        ("TeamForm", "/admin/teams", {}, True),
        ("StageForm", f"/admin/stages/{w['stage'].id}", {}, True, f"stage-{w['stage'].id}-"),
        ("AutomationSettingsForm", "/admin/automation", {}, True),
        ("DigestForm", "/more/reminders/digest", {}, True),
        ("MergeForm", "/customers/merge", {}, True),
        ("UploadForm", "/customers/import", {}, True),
        ("MappingForm", "/customers/import/1", {}, True),
        ("CustomerForm", "/customers/new", {"kind": "company", "lifecycle": "lead"}, True),
        ("CustomerForm", f"/customers/{w['customer'].id}/edit",
         {"kind": "company", "lifecycle": "lead", "version": w["customer"].version}, True),
        ("ContactForm", f"/customers/{w['customer'].id}/contacts/new", {}, True),
        ("ContactForm", f"/contacts/{w['contact'].id}/edit", {}, True),
        ("MoveForm", f"/deals/{w['deal'].id}/move", {"version": w["deal"].version, "stage_id": w["lost"].id}, True),
        ("DealForm", "/deals/new", {"customer_id": w["customer"].id}, True),
        ("DealForm", f"/deals/{w['deal'].id}/edit", {"version": w["deal"].version}, True),
        ("SendQuoteForm", f"/quotes/{w['approved'].id}/send", {}, True),
        ("ProductForm", "/admin/products/new", {}, True),
        ("ProductForm", f"/admin/products/{w['product'].id}", {}, True),
        ("ImportForm", "/admin/products/import", {}, True),
        ("ReadingForm", "/admin/products/import/1", {}, True),
        ("LineForm", f"/quotes/{draft.id}/lines/{line.id}", {"version": draft.version}, True),
        ("FreeLineForm", f"/quotes/{draft.id}/lines", {"kind": "free", "version": draft.version}, True),
        ("TermsForm", f"/quotes/{draft.id}/terms", {"version": draft.version}, True),
        ("VersionForm", f"/quotes/{draft.id}/submit", {}, True),
        ("DecisionForm", f"/quotes/{w['pending'].id}/decide", {"decision": "approve", "version": w["pending"].version}, True),
        ("ApprovalRulesForm", "/quotes/approval-rules", {}, True),
        ("NewQuoteForm", f"/quotes/new?deal={w['deal'].id}", {}, True),
    ]


def walked_forms(w):
    """form_posts with each form's field prefix ("" for most)."""
    for name, url, extra, signed_in, *prefix in form_posts(w):
        yield name, url, extra, signed_in, (prefix[0] if prefix else "")


def form_class(name):
    return next(cls for cls in all_forms() if cls.__name__ == name)


def too_long_value(field_class, limit):
    if field_class.__name__ == "EmailField":
        return "a" * (limit + 1 - len("@example.vn")) + "@example.vn"
    return "x" * (limit + 1)


def expected_message(app, validator, lang):
    """The message a user must see for a value one over the Length limit, in lang."""
    with app.test_request_context(), force_locale(lang):
        if validator.message is not None:
            message = str(validator.message)
        elif validator.min >= 0:  # as wtforms.validators.Length words it
            message = get_translations().ugettext("Field must be between %(min)d and %(max)d characters long.")
        else:
            message = get_translations().ungettext("Field cannot be longer than %(max)d character.",
                                                   "Field cannot be longer than %(max)d characters.", validator.max)
        return message % dict(min=validator.min, max=validator.max, length=validator.max + 1)


def signed_in_as(client, world, lang):
    world["admin"].locale = lang
    db.session.commit()
    response = client.post("/login", data={"email": "admin@example.vn", "password": "correct-horse-42",
                                           "csrf_token": csrf_token_from(client.get("/login").get_data(as_text=True))})
    assert response.status_code in (302, 303)


_TOKENS = {}  # client → its CSRF token: one page read per client, not one per post (thousands of posts here)


def post(client, url, data, signed_in, lang):
    if not signed_in:
        client.set_cookie("lang", lang)
    for attempt in (1, 2):
        token = _TOKENS.get(client)
        if token is None:
            page = client.get("/more" if signed_in else "/login")
            token = _TOKENS[client] = csrf_token_from(page.get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=True)
        if response.status_code != 400 or "form is out of date. Reload" not in response.get_data(as_text=True) \
                and "biểu mẫu đã cũ" not in response.get_data(as_text=True):
            return response
        _TOKENS.pop(client, None)  # the session changed (signed out, a new client): read a fresh token once
    return response


def test_every_form_of_the_app_is_walked(world):
    walked = {name for name, *_ in walked_forms(world)}
    assert {cls.__name__ for cls in all_forms()} <= walked


def test_wtforms_length_message_is_translated_not_a_500(app):
    with app.test_request_context(), force_locale("vi"):
        form = form_class("TeamForm")(formdata=None, data={"name": "x" * 121}, meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == ["Tối đa 120 ký tự."]
    with app.test_request_context(), force_locale("en"):
        form = form_class("TeamForm")(formdata=None, data={"name": "x" * 121}, meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == ["Field cannot be longer than 120 characters."]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_field_one_over_its_length_limit_is_refused_with_a_translated_message(app, world, lang):
    failures = []
    for name, url, extra, signed_in, prefix in walked_forms(world):
        for field, (validator, field_class) in length_limits(form_class(name)).items():
            client = app.test_client()
            if signed_in:
                signed_in_as(client, world, lang)
            response = post(client, url, {**extra, prefix + field: too_long_value(field_class, validator.max)}, signed_in, lang)
            body = response.get_data(as_text=True)
            if response.status_code >= 500:
                failures.append(f"{name}.{field} at {url}: {response.status_code}")
            elif html.escape(expected_message(app, validator, lang), quote=False) not in body:
                failures.append(f"{name}.{field} at {url}: {response.status_code} without the message")
    assert failures == [], "\n".join(failures)


def test_a_field_over_its_limit_changes_nothing(app, client, world):
    signed_in_as(client, world, "vi")
    customer = world["customer"]
    response = post(client, f"/customers/{customer.id}/edit",
                    {"kind": "company", "lifecycle": "lead", "version": customer.version, "name": "x" * 201}, True, "vi")
    assert response.status_code == 400 or response.status_code == 422 or response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).name == "Công ty Đức Hưng"


def test_signed_out_login_with_huge_email_and_password_is_not_a_500(app, client):
    for lang in ("vi", "en"):
        response = post(app.test_client(), "/login", {"email": "a" * 300 + "@example.vn", "password": "p" * 201},
                        False, lang)
        assert response.status_code < 500
        body = response.get_data(as_text=True)
        assert ("Tối đa 254 ký tự." if lang == "vi" else "Field cannot be longer than 254 characters.") in body


# --- integers --------------------------------------------------------------------------------------------

ARG_NAME = re.compile(r"""args\.get\(\s*["'](\w+)["']""")
ALWAYS_TRIED = {"page", "owner", "tag", "after", "customer", "deal", "contact", "team", "stage_id", "product_id",
                "version", "activity", "a", "b", "rule", "import"}


def args_read_by(view):
    """Query parameters the view's module reads (by name), plus the shared filters' ones."""
    source = inspect.getsource(inspect.getmodule(view))
    return set(ARG_NAME.findall(source)) | ALWAYS_TRIED


def path_value(world, name):
    ids = {"customer_id": world["customer"].id, "contact_id": world["contact"].id, "deal_id": world["deal"].id,
           "quote_id": world["draft"].id, "product_id": world["product"].id, "user_id": world["rep"].id,
           "stage_id": world["stage"].id, "line_id": world["draft"].lines[0].id, "token": PUBLIC_TOKEN}
    return ids.get(name, 1)


def get_routes(app, world):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.startswith("bench."):
            continue
        values = {arg: path_value(world, arg) for arg in rule.arguments}
        try:
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values)
        except Exception:
            continue
        yield rule, url


class _RecordingArgs:
    """Mixed into the app's own query parameters: they remember which names the request read (get, [], in, …)."""

    read = set()

    def get(self, key, *args, **kwargs):
        self.read.add(key)
        return super().get(key, *args, **kwargs)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key, *args, **kwargs):
        self.read.add(key)
        return super().getlist(key, *args, **kwargs)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def _all(self):
        self.read.update(super().keys())

    def to_dict(self, *args, **kwargs):
        self._all()
        return super().to_dict(*args, **kwargs)

    def items(self, *args, **kwargs):
        self._all()
        return super().items(*args, **kwargs)

    def __iter__(self):
        self._all()
        return super().__iter__()


def names_read(app, client, url, names):
    """The query parameters a GET of url really reads, out of names (each set to a plausible value)."""
    _RecordingArgs.read = set()
    request_class = app.request_class
    recording = type("RecordingArgs", (_RecordingArgs, request_class.parameter_storage_class), {})
    app.request_class = type("RecordingRequest", (request_class,), {"parameter_storage_class": recording})
    try:
        for plausible in ("1", "2"):  # an id of the test's records, then another one: both branches of a lookup
            client.get(url, query_string={name: plausible for name in names})
    finally:
        app.request_class = request_class
    return _RecordingArgs.read & set(names)


def test_huge_integers_in_every_query_parameter_are_not_a_500(app, client, world):
    signed_in_as(client, world, "vi")
    failures, tried = [], 0
    for rule, url in get_routes(app, world):
        names = args_read_by(app.view_functions[rule.endpoint])
        for value in HUGE:
            response = client.get(url, query_string={name: value for name in names})
            if response.status_code >= 500:
                failures.append(f"{url} all params={value}: {response.status_code}")
        # One by one, each parameter the page really reads (a probe request records them): a name it never
        # reads cannot fail it, and trying 16 names × 6 values on each of 65 pages took two minutes.
        read = names_read(app, client, url, names)
        for name in read:
            for value in (HUGE[0], "²", "-1", "0", str(2**31), str(2**62)):
                response = client.get(url, query_string={name: value})
                if response.status_code >= 500:
                    failures.append(f"{url}?{name}={value}: {response.status_code}")
        tried += len(read)
    assert tried > 25  # the probe does see the pages' parameters (page, tag, owner, q, …)
    assert failures == [], "\n".join(failures)


def test_huge_integers_in_path_ids_are_not_found(app, client, world):
    signed_in_as(client, world, "vi")
    for path in (f"/customers/{2**63}", f"/deals/{10**30}", f"/quotes/{2**63}", f"/customers/{2**31}",
                 f"/deals/{2**40}"):
        assert client.get(path).status_code == 404


def integer_fields(form_cls):
    for name in dir(form_cls):
        unbound = getattr(form_cls, name, None)
        if hasattr(unbound, "field_class") and issubclass(unbound.field_class, (IntegerField, SelectField)):
            yield name, unbound


def typed_number(unbound):
    """A number box the user types in (labelled): hidden version and stage ids are not shown to anyone."""
    return unbound is not None and issubclass(unbound.field_class, IntegerField) and bool(unbound.args or unbound.kwargs.get("label"))


def is_money(unbound):
    """Money is BIGINT: 2**31 đồng is a fine amount."""
    from app.forms import MoneyField

    return issubclass(unbound.field_class, MoneyField)


POSTED_INTEGERS = ("product_id", "version", "deal_id", "customer_id", "owner_id", "team_id", "stage_id", "keep", "a", "b")


def test_huge_integers_in_every_form_field_are_refused_not_a_500(app, world):
    failures = []
    client = app.test_client()
    signed_in_as(client, world, "vi")
    anonymous = app.test_client()
    for name, url, extra, signed_in, prefix in walked_forms(world):
        fields = dict(integer_fields(form_class(name)))
        for field in set(fields) | set(POSTED_INTEGERS):
            for value in HUGE:
                data = {**extra, "kind": extra.get("kind", "product"), prefix + field: value}
                response = post(client if signed_in else anonymous, url, data, signed_in, "vi")
                if response.status_code >= 500:
                    failures.append(f"{name}.{field}={value} at {url}: {response.status_code}")
                elif typed_number(fields.get(field)) and not (value == str(2**31) and is_money(fields[field])) \
                        and "Số quá lớn." not in response.get_data(as_text=True):
                    failures.append(f"{name}.{field}={value} at {url}: no 'Số quá lớn.'")
    assert failures == [], "\n".join(failures)


def test_a_huge_money_value_says_the_number_is_too_large(app, client, world):
    signed_in_as(client, world, "en")
    response = post(client, "/deals/new", {"customer_id": world["customer"].id, "title": "Lớn", "value_vnd": "9" * 30},
                    True, "en")
    assert response.status_code < 500
    assert "Number is too large." in response.get_data(as_text=True)
    assert db.session.scalar(select(Deal).where(Deal.title == "Lớn")) is None


# --- control characters ----------------------------------------------------------------------------------

def test_control_characters_are_stored_cleaned(app, client, world):
    signed_in_as(client, world, "vi")
    response = post(client, "/customers/new", {
        "kind": "company", "lifecycle": "lead", "name": "Công ty\r\nMới\x00 Mở\x07", "address": "12\tLê Lợi\x00",
        "notes": "Dòng một\r\nDòng hai\x00\x1b", "owner_id": world["rep"].id}, True, "vi")
    assert response.status_code == 200, re.findall(r'field-error[^>]*>([^<]*)', response.get_data(as_text=True))
    customer = db.session.scalar(select(Customer).where(Customer.name.like("Công ty M%")))
    assert customer.name == "Công ty Mới Mở"
    assert customer.address == "12 Lê Lợi"
    assert customer.notes == "Dòng một\nDòng hai"


def test_team_name_with_nul_is_stored_cleaned(app, client, world):
    signed_in_as(client, world, "vi")
    post(client, "/admin/teams", {"name": "Miền\x00 Bắc\n"}, True, "vi")
    assert db.session.scalar(select(Team.name).where(Team.name.like("Miền%Bắc%"))) == "Miền Bắc"


def test_nul_in_search_queries_is_not_a_500(app, client, world):
    signed_in_as(client, world, "vi")
    for path in ("/customers", "/pipeline", "/admin/products", "/quotes", "/customers/duplicates"):
        assert client.get(path, query_string={"q": "Đức\x00Hưng"}).status_code < 500


# --- streamed export -------------------------------------------------------------------------------------

@pytest.fixture()
def broken_row(app, monkeypatch):
    """Rows named "Hỏng" fail to export (the one stand-in allowed: a service function raising mid-stream)."""
    from app.services.customers import records

    real_row = records._export_row

    def export_row(customer, labels, zone):
        if "Hỏng" in customer.name:
            raise RuntimeError("broken row")
        return real_row(customer, labels, zone)

    monkeypatch.setattr(records, "_export_row", export_row)
    monkeypatch.setitem(app.config, "EXPORT_BATCH", 2)


def test_an_export_failing_before_the_first_byte_shows_the_error_page(app, client, world, broken_row):
    from tests.factories import make_customer as customer

    customer(world["admin"], name="Hỏng")
    signed_in_as(client, world, "vi")
    response = client.get("/customers/export.csv")
    assert response.status_code == 500
    assert response.mimetype == "text/html" and "Đã xảy ra lỗi" in response.get_data(as_text=True)


@pytest.mark.parametrize("lang, line", [("vi", "# Xuất dữ liệu bị gián đoạn — hãy thử lại"),
                                        ("en", "# Export interrupted — please try again")])
def test_an_export_failing_mid_stream_ends_with_a_clear_line(app, client, world, broken_row, caplog, lang, line):
    from tests.factories import make_customer as customer

    for n in range(5):
        customer(world["admin"], name=f"Khách {n}")
    customer(world["admin"], name="Xuân Hỏng")  # sorted by name: after the first batch of two
    signed_in_as(client, world, lang)
    response = client.get("/customers/export.csv", query_string={"sort": "name"})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.rstrip("\r\n").endswith(line)
    assert "Khách" in text  # the rows before the failure were sent
    assert any("customer export interrupted" in record.getMessage() for record in caplog.records)
