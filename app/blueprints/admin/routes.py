"""Administration: users, roles, teams, invitations."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.access import roles
from app.blueprints.admin.forms import NewUserForm, StageForm, TeamForm, UserForm
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Stage, Team, User
from app.services.pipeline.stages import move_stage, update_stage
from app.services.auth.users import UserRuleError, create_team, create_user, reissue_invitation, update_user

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


@bp.route("/stages")
@roles("admin")
def stages():
    all_stages = db.session.scalars(select(Stage).order_by(Stage.position)).all()
    forms = {stage.id: StageForm(obj=stage, prefix=f"stage-{stage.id}") for stage in all_stages}
    return render_page_or_block("admin/stages.html", stages=all_stages, forms=forms)


@bp.route("/stages/<int:stage_id>", methods=["POST"])
@roles("admin")
def edit_stage(stage_id):
    stage = db.get_or_404(Stage, stage_id)
    form = StageForm(prefix=f"stage-{stage.id}")
    if form.validate_on_submit():
        update_stage(stage, current_user, {name: form[name].data for name in ("name_vi", "name_en", "probability", "stale_after_days")})
        flash(_("Changes saved."), "success")
        return redirect(url_for("admin.stages"), code=303)
    all_stages = db.session.scalars(select(Stage).order_by(Stage.position)).all()
    forms = {s.id: (form if s.id == stage.id else StageForm(obj=s, prefix=f"stage-{s.id}")) for s in all_stages}
    return render_page_or_block("admin/stages.html", stages=all_stages, forms=forms), 400


@bp.route("/stages/<int:stage_id>/move", methods=["POST"])
@roles("admin")
def reorder_stage(stage_id):
    stage = db.get_or_404(Stage, stage_id)
    step = -1 if request.form.get("direction") == "up" else 1
    move_stage(stage, current_user, step)
    return redirect(url_for("admin.stages"), code=303)
