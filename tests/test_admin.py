"""Administration: creating and inviting users, roles, teams, deactivation, audit."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Invitation, Team, User
from app.models.base import utcnow
from app.models.users import hash_token
from tests.factories import make_team, make_user


@pytest.fixture()
def admin(auth):
    user = make_user(role="admin", email="admin@example.vn")
    auth.login(user.email)
    return user


def user_count():
    return db.session.scalar(select(func.count(User.id)))


def test_admin_creates_a_user_with_a_password(client, auth, admin):
    team = make_team("Miền Nam")
    response = auth.post("/admin/users/new", {
        "email": " Binh@Example.vn ", "name": "Trần Thị Bình", "phone": "0903 123 456",
        "role": "manager", "team_id": team.id, "locale": "vi", "password": "mat-khau-123",
    })
    assert response.status_code == 303
    user = User.by_email("binh@example.vn")
    assert (user.email, user.role, user.team_id, user.phone) == ("binh@example.vn", "manager", team.id, "+84903123456")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert event.actor_id == admin.id and event.after["role"] == "manager"
    auth.logout()
    assert auth.login("binh@example.vn", password="mat-khau-123").status_code == 303


def test_duplicate_email_and_bad_phone_are_shown_next_to_the_fields(client, auth, admin):
    before = user_count()
    response = auth.post("/admin/users/new", {
        "email": "ADMIN@example.vn", "name": "Trùng", "phone": "12345", "role": "rep", "team_id": 0, "locale": "vi",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Đã có người dùng với email này." in html
    assert "Nhập số điện thoại Việt Nam" in html
    assert user_count() == before


def test_unknown_role_or_team_is_refused(client, auth, admin):
    before = user_count()
    for data in ({"role": "superuser", "team_id": 0}, {"role": "rep", "team_id": 999}):
        response = auth.post("/admin/users/new", {"email": "x@example.vn", "name": "X", "locale": "vi", **data})
        assert response.status_code == 400
    assert user_count() == before


def test_invitation_link_is_single_use_hashed_and_expiring(client, auth, admin):
    response = auth.post("/admin/users/new", {"email": "chi@example.vn", "name": "Lê Minh Chi", "role": "rep", "team_id": 0, "locale": "vi"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/invite/" in html
    token = html.split("/invite/")[1].split('"')[0]
    assert len(token) >= 43  # 32 random bytes, base64url
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    auth.logout()

    page = client.get(f"/invite/{token}")
    assert page.status_code == 200 and "Lê Minh Chi" in page.get_data(as_text=True)
    mismatch = auth.post(f"/invite/{token}", {"password": "mat-khau-moi-1", "confirm": "khac-han"}, token_path=f"/invite/{token}")
    assert mismatch.status_code == 400 and "Hai mật khẩu không khớp." in mismatch.get_data(as_text=True)
    done = auth.post(f"/invite/{token}", {"password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1"}, token_path=f"/invite/{token}")
    assert done.status_code == 303 and client.get("/").status_code == 200
    auth.logout()
    assert client.get(f"/invite/{token}").status_code == 404  # used once: gone
    assert auth.login("chi@example.vn", password="mat-khau-moi-1").status_code == 303


def test_expired_or_superseded_invitations_do_not_work(client):
    user = make_user(email="d@example.vn", password=None)
    invitation, token = Invitation.issue(user, None, ttl_hours=72)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/invite/{token}").status_code == 404
    _first, first_token = Invitation.issue(user, None, ttl_hours=72)
    _second, second_token = Invitation.issue(user, None, ttl_hours=72)
    db.session.commit()
    assert client.get(f"/invite/{first_token}").status_code == 404
    assert client.get(f"/invite/{second_token}").status_code == 200
    assert client.get("/invite/not-a-token").status_code == 404


def test_admin_changes_role_team_and_deactivates(client, auth, admin):
    rep = make_user(email="rep@example.vn")
    team = make_team("Miền Bắc")
    response = auth.post(f"/admin/users/{rep.id}", {
        "email": rep.email, "name": "Tên Mới", "phone": "", "role": "manager", "team_id": team.id, "locale": "en",
    })
    assert response.status_code == 303
    db.session.expire_all()
    rep = db.session.get(User, rep.id)
    assert (rep.name, rep.role, rep.team_id, rep.locale, rep.active) == ("Tên Mới", "manager", team.id, "en", False)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.before["role"] == "rep" and event.after["role"] == "manager" and event.after["active"] is False


def test_extra_form_fields_are_never_written(client, auth, admin):
    rep = make_user(email="rep@example.vn")
    token_before = rep.session_token
    auth.post(f"/admin/users/{rep.id}", {
        "email": rep.email, "name": rep.name, "role": "rep", "team_id": 0, "locale": "vi", "active": "y",
        "password_hash": "pwned", "session_token": "fixed", "id": 999, "last_login_at": "2020-01-01",
    })
    db.session.expire_all()
    rep = db.session.get(User, rep.id)
    assert rep.id != 999 and rep.password_hash != "pwned" and rep.session_token == token_before


def test_the_last_admin_cannot_demote_or_deactivate_themselves(client, auth, admin):
    response = auth.post(f"/admin/users/{admin.id}", {"email": admin.email, "name": admin.name, "role": "rep", "team_id": 0, "locale": "vi", "active": "y"})
    assert response.status_code == 400
    assert "ít nhất một quản trị viên" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"


def test_teams_are_created_once(client, auth, admin):
    assert auth.post("/admin/teams", {"name": "Miền Trung"}, token_path="/admin/teams").status_code == 303
    duplicate = auth.post("/admin/teams", {"name": "miền trung"}, token_path="/admin/teams")
    assert duplicate.status_code == 400 and "Đã có nhóm với tên này." in duplicate.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Team.id))) == 1


def test_users_page_lists_everyone_for_admins(client, admin):
    make_user(email="rep@example.vn", name="Nguyễn Văn An")
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Nguyễn Văn An" in html and "admin@example.vn" in html


def test_built_in_validation_messages_are_vietnamese(client, auth, admin):
    response = auth.post("/admin/users/new", {"email": "khong-phai-email", "name": "X", "role": "boss", "team_id": "abc", "locale": "vi"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nhập địa chỉ email hợp lệ." in html and "Lựa chọn không hợp lệ." in html
    assert "Not a valid" not in html and "Invalid" not in html
