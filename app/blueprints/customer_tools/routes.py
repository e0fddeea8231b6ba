"""Customer tools: merging duplicates (managers and admins) and CSV import (everyone, into their scope)."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import defer, selectinload
from werkzeug.exceptions import RequestEntityTooLarge

from app.forms import page_arg
from app.access import roles, signed_in
from app.blueprints.customer_tools.forms import MappingForm, MergeForm, UploadForm
from app.blueprints.errors.routes import render_error
from app.extensions import csrf, db
from app.htmx import render_page_or_block
from app.models import Customer, CustomerImport, CustomerMerge, User
from app.services.common.import_jobs import mine_or_404
from app.services.customers import imports
from app.services.common.csv_files import encoding_question_text, reading_samples
from app.services.common.csv_safe import excel_csv
from app.services.customers.merge import (StaleMerge, compare, duplicate_groups, merge_customers, merge_page, merges_visible_to,
                                related_counts, snapshot_values)
from app.services.common.scope import get_visible_or_404, users_visible_to

bp = Blueprint("customer_tools", __name__)
MANAGERS = ("manager", "admin")
UPLOAD_ENDPOINT = "customer_tools.import_upload"


@bp.before_request
def allow_large_import_upload():
    """The CSV upload may exceed MAX_CONTENT_LENGTH: raise the limit before the body is read, then check CSRF.

    The upload view is exempt from the app-wide CSRF hook because that hook reads the form
    (with the app-wide limit) before this blueprint's hooks run.
    """
    if request.endpoint == UPLOAD_ENDPOINT and request.method == "POST":
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()


def human_size(size):
    """Bytes as people read a limit: 10485760 → "10 MB"."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    return render_error(413, _("The file is larger than %(size)s, the most that can be uploaded here. "
                               "Split it into smaller files.", size=human_size(request.max_content_length or 0)))


# --- Merging ------------------------------------------------------------------------------------

def _customer_from_args(name):
    customer_id = request.args.get(name, type=int)
    if customer_id is None or not 0 < customer_id < 2**63:
        abort(404)
    return get_visible_or_404(Customer, customer_id, current_user)


def _render_merge(form, a, b, keep, notice=None, status=200):
    return render_page_or_block(
        "customer_tools/merge.html", form=form, a=a, b=b, keep=keep, comparisons=compare(a, b),
        counts={"a": related_counts(a), "b": related_counts(b)}, notice=notice), status


@bp.route("/customers/merge", methods=["GET", "POST"])
@roles(*MANAGERS)
def merge():
    a, b = _customer_from_args("a"), _customer_from_args("b")
    if a.id == b.id:
        abort(400)
    keep = request.args.get("keep") if request.args.get("keep") in ("a", "b") else ("a" if a.id < b.id else "b")
    form = MergeForm()
    if not form.is_submitted():
        form.fill_defaults(a, b, keep)
    if form.validate_on_submit():
        survivor, other = (a, b) if form.survivor.data == "a" else (b, a)
        survivor_version, other_version = form.versions()
        try:
            merge_customers(survivor, other, current_user, survivor_version=survivor_version, other_version=other_version,
                            choices=form.field_choices(), ip=request.remote_addr)
        except StaleMerge:
            a, b = _customer_from_args("a"), _customer_from_args("b")
            fresh = MergeForm(formdata=None)
            fresh.fill_defaults(a, b, form.survivor.data)
            return _render_merge(fresh, a, b, form.survivor.data, _("Someone changed one of these customers meanwhile — "
                                                                    "here are the latest versions. Nothing was merged."), 409)
        flash(_("Customers merged."), "success")
        return redirect(url_for("customers.card", customer_id=survivor.id), code=303)
    return _render_merge(form, a, b, form.survivor.data or keep, status=400 if form.errors else 200)


@bp.route("/customers/merges")
@roles(*MANAGERS)
def merges():
    page = page_arg()
    rows, has_more = merge_page(current_user, page)
    return render_page_or_block("customer_tools/merges.html", merges=rows, page=page, has_more=has_more)


@bp.route("/customers/merges/<int:merge_id>")
@roles(*MANAGERS)
def merge_detail(merge_id):
    found = db.session.scalar(merges_visible_to(current_user).where(CustomerMerge.id == merge_id))
    if found is None:
        abort(404)
    snapshot = snapshot_values(found.snapshot)
    owner = db.session.get(User, snapshot["owner_id"]) if snapshot.get("owner_id") else None
    return render_page_or_block("customer_tools/merge_detail.html", merge=found, snap=snapshot, owner=owner)


@bp.route("/customers/duplicates")
@roles(*MANAGERS)
def duplicates():
    page = page_arg()
    groups, has_more = duplicate_groups(current_user, page)
    return render_page_or_block("customer_tools/duplicates.html", groups=groups, page=page, has_more=has_more)


# --- CSV import ---------------------------------------------------------------------------------

def _my_import_or_404(import_id, *options):
    """The import with this id if the current user created it; 404 otherwise (also for admins)."""
    return mine_or_404(CustomerImport, import_id, current_user, *options)


def _owner_choices():
    return [(u.id, u.name) for u in db.session.scalars(users_visible_to(current_user))]


@bp.route("/customers/import", methods=["GET", "POST"])
@signed_in
@csrf.exempt  # checked in allow_large_import_upload(), after the upload limit is raised
def import_upload():
    form = UploadForm()
    if current_user.role == "rep":
        del form.owner_id  # reps import for themselves; a posted owner_id is ignored
    else:
        form.owner_id.choices = _owner_choices()
        if not form.is_submitted():
            form.owner_id.data = current_user.id
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            parsed = imports.read_upload(raw, current_app.config["IMPORT_MAX_ROWS"])
        except imports.UploadError as error:
            form.file.errors.append(str(error))
        else:
            owner = current_user if form.owner_id is None else db.session.get(User, form.owner_id.data)
            created = imports.create_import(current_user, owner, form.file.data.filename, raw, parsed)
            return redirect(url_for(".import_mapping", import_id=created.id), code=303)
    return render_page_or_block("customer_tools/import_upload.html", form=form,
                                max_size=human_size(current_app.config["IMPORT_MAX_BYTES"]),
                                max_rows=f"{current_app.config['IMPORT_MAX_ROWS']:,}".replace(",", ".")), (400 if form.errors else 200)


@bp.route("/customers/import/<int:import_id>", methods=["GET", "POST"])
@signed_in
def import_mapping(import_id):
    found = _my_import_or_404(import_id)
    if found.status != "uploaded" or found.finished_at is not None:
        return redirect(url_for(".import_result", import_id=import_id), code=303)
    if imports.stored_bytes(found) is None:  # left unmapped for a day (removed by the hourly job), or lost
        flash(_("The uploaded file is no longer there. Upload it again."), "error")
        return redirect(url_for(".import_upload"), code=303)
    chosen_reading = found.encoding if found.encoding_question and not found.needs_encoding_choice else None
    form = MappingForm(data={"columns": found.mapping["columns"], "on_duplicate": found.mapping["on_duplicate"],
                             "reading": chosen_reading})
    columns, problems = found.mapping["columns"], []
    if form.validate_on_submit() and found.encoding_question and form.reading.data:
        imports.choose_reading(found, form.reading.data)
    parsed = imports.stored_file(found, limit=1)  # the header and a sample row; the preview reads its own rows
    if form.is_submitted() and not form.errors:
        chosen = [entry.data for entry in form.columns]
        problems = imports.mapping_errors(chosen, len(parsed.header))
        if found.owner_id not in {user_id for user_id, _name in _owner_choices()}:
            problems.append(_("You can no longer import customers for %(name)s.", name=found.owner.name))
        if form.run.data and found.needs_encoding_choice:
            form.reading.errors.append(_("Choose how to read the file before importing it."))
        if not problems and not form.reading.errors:
            columns = chosen
            imports.save_mapping(found, columns, form.on_duplicate.data)
            if form.run.data:
                try:
                    imports.queue_import(found, current_user, ip=request.remote_addr)
                except imports.AlreadyRun:
                    pass
                return redirect(url_for(".import_result", import_id=import_id), code=303)
    rows = imports.preview(found, columns, form.on_duplicate.data or "skip", current_user)
    status = 400 if (problems or form.errors or form.reading.errors) else 200
    return render_page_or_block("customer_tools/import_mapping.html", imp=found, form=form, header=parsed.header,
                                samples=parsed.rows[0][1] if parsed.rows else [], rows=rows, problems=problems,
                                columns=columns, **_reading_context(found)), status


def _reading_context(found):
    """The sentence naming the lines that are not UTF-8 and those lines in each reading (nothing for other files)."""
    if not found.encoding_question:
        return {"question_text": None, "reading_samples": {}}
    return {"question_text": encoding_question_text(found.encoding_question),
            "reading_samples": reading_samples(imports.stored_bytes(found) or b"", found.encoding_question)}


@bp.route("/customers/import/<int:import_id>/result")
@signed_in
def import_result(import_id):
    found = _my_import_or_404(import_id, defer(CustomerImport.content))
    if found.status == "uploaded" and found.finished_at is None:
        return redirect(url_for(".import_mapping", import_id=import_id), code=303)
    return render_page_or_block("customer_tools/import_result.html", **_import_state(found))


def _import_state(found):
    """What the result page and its progress fragment show: the progress, or the finished import's report."""
    imports.check_stale(found)
    lines = imports.report_rows(found) if found.status in ("imported", "failed") else []
    problems = [line for line in lines if line["status"] != "imported"]
    return {"imp": found, "problems": problems[:500], "more_problems": max(0, len(problems) - 500)}


@bp.route("/customers/import/<int:import_id>/progress")
@signed_in
def import_progress(import_id):
    """The progress fragment the result page polls every second (htmx) until the import has finished."""
    found = _my_import_or_404(import_id, defer(CustomerImport.content))
    if found.status == "uploaded":
        abort(404)
    return render_template("customer_tools/_import_state.html", **_import_state(found))


@bp.route("/customers/import/<int:import_id>/report.csv")
@signed_in
def import_report(import_id):
    found = _my_import_or_404(import_id, defer(CustomerImport.content))
    if not found.report:
        abort(404)
    body = excel_csv(imports.report_for_download(found))
    return Response(body, mimetype="text/csv",  # → text/csv; charset=utf-8
                    headers={"Content-Disposition": f'attachment; filename="import-{found.id}-report.csv"'})


@bp.route("/customers/imports")
@signed_in
def import_list():
    page = min(max(request.args.get("page", 1, type=int), 1), 500)
    rows = db.session.scalars(
        select(CustomerImport).options(defer(CustomerImport.content), defer(CustomerImport.report),
                                       selectinload(CustomerImport.owner))
        .where(CustomerImport.created_by_id == current_user.id)
        .order_by(CustomerImport.created_at.desc(), CustomerImport.id.desc()).offset((page - 1) * 20).limit(21)
    ).all()
    return render_page_or_block("customer_tools/imports.html", imports=rows[:20], page=page, has_more=len(rows) > 20)
