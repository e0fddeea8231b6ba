"""Administration: users, roles, teams, invitations."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import roles
from app.blueprints.admin.forms import NewUserForm, TeamForm, UserForm
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Team, User
from app.services.users import UserRuleError, create_team, create_user, reissue_invitation, update_user

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles("admin")
def users():
    people = db.session.scalars(select(User).options(selectinload(User.team)).order_by(User.active.desc(), User.name)).all()
    return render_page_or_block("admin/users.html", users=people)


@bp.route("/users/new", methods=["GET", "POST"])
@roles("admin")
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        user, token = create_user(
            email=form.email.data, name=form.name.data, role=form.role.data, actor=current_user,
            team=db.session.get(Team, form.team_id.data) if form.team_id.data else None,
            phone=form.phone.data or None, locale=form.locale.data, password=form.password.data or None,
            ip=request.remote_addr,
        )
        flash(_("User %(name)s created.", name=user.name), "success")
        if token:
            return render_page_or_block("admin/invitation_link.html", user=user, link=url_for("auth.accept_invitation", token=token, _external=True))
        return redirect(url_for("admin.users"), code=303)
    return render_page_or_block("admin/user_form.html", form=form, user=None), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def edit_user(user_id):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, editing=user)
    if request.method == "GET":
        form.team_id.data = user.team_id or 0
    if form.validate_on_submit():
        changes = {name: form[name].data for name in ("email", "name", "role", "locale", "active")}
        changes["phone"] = form.phone.data or None
        changes["team_id"] = form.team_id.data or None
        try:
            update_user(user, current_user, changes, ip=request.remote_addr)
        except UserRuleError:
            db.session.rollback()
            form.role.errors.append(_("FieldCRM needs at least one active administrator."))
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("admin.users"), code=303)
    return render_page_or_block("admin/user_form.html", form=form, user=user), (400 if form.errors else 200)


@bp.route("/users/<int:user_id>/invitation", methods=["POST"])
@roles("admin")
def invite_again(user_id):
    user = db.get_or_404(User, user_id)
    token = reissue_invitation(user, current_user, ip=request.remote_addr)
    return render_page_or_block("admin/invitation_link.html", user=user, link=url_for("auth.accept_invitation", token=token, _external=True))


@bp.route("/teams", methods=["GET", "POST"])
@roles("admin")
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        create_team(form.name.data, actor=current_user)
        flash(_("Team added."), "success")
        return redirect(url_for("admin.teams"), code=303)
    all_teams = db.session.scalars(select(Team).options(selectinload(Team.members)).order_by(Team.name)).all()
    return render_page_or_block("admin/teams.html", form=form, teams=all_teams), (400 if form.errors else 200)
