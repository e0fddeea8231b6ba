"""The price list: admins list, edit, withdraw and import products; everyone picks them for quotes."""
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.forms import page_arg
from app.access import roles, signed_in
from app.blueprints.products.forms import ImportForm, ProductForm, ReadingForm
from app.extensions import db
from app.htmx import render_page_or_block
from app.models import Product, ProductImport
from app.services.common import import_jobs
from app.services.common.csv_files import UploadError, encoding_question_text, reading_samples
from app.services.products import imports as product_imports
from app.services.products.catalogue import SkuTaken, list_products, pick_products, save_product, set_active

bp = Blueprint("products", __name__)

REPORT_ROWS_SHOWN = 300  # changed rows listed on the page; every error row is always listed


@bp.route("/admin/products")
@roles("admin")
def index():
    query = request.args.get("q", "").strip()[:100]
    page = page_arg()
    found = list_products(query, page)
    return render_page_or_block("products/index.html", block="rows" if page > 1 else "results", query=query,
                                page=page, products=found.products, has_more=found.has_more, total=found.total)


@bp.route("/admin/products/new", methods=["GET", "POST"])
@roles("admin")
def new():
    return _edit(None)


@bp.route("/admin/products/<int:product_id>", methods=["GET", "POST"])
@roles("admin")
def edit(product_id):
    return _edit(db.get_or_404(Product, product_id))


def _edit(product):
    """The product form, for a new product (None) or an existing one; saves and goes back to the list."""
    form = ProductForm(obj=product, editing=product)
    if form.validate_on_submit():
        try:
            saved = save_product(product, form.values(), current_user, ip=request.remote_addr)
            db.session.commit()
        except (SkuTaken, IntegrityError):  # IntegrityError: the same SKU saved by someone else just now
            db.session.rollback()
            form.sku.errors = [*form.sku.errors, _("Another product already has this SKU.")]
        else:
            flash(_("Product %(name)s saved.", name=saved.name), "success")
            return redirect(url_for(".index"), code=303)
    return render_page_or_block("products/form.html", form=form, product=product), (400 if form.errors else 200)


@bp.route("/admin/products/<int:product_id>/active", methods=["POST"])
@roles("admin")
def activate(product_id):
    product = db.get_or_404(Product, product_id)
    active = request.form.get("active") == "1"  # an explicit value: a double tap cannot flip it back
    set_active(product, active, current_user, ip=request.remote_addr)
    db.session.commit()
    flash(_("%(name)s can be quoted again.", name=product.name) if active
          else _("%(name)s is no longer offered in new quotes.", name=product.name), "success")
    back_to_form = request.form.get("from") == "edit"
    return redirect(url_for(".edit", product_id=product.id) if back_to_form else url_for(".index"), code=303)


@bp.route("/admin/products/import", methods=["GET", "POST"])
@roles("admin")
def import_csv():
    """Upload: "check" reports at once and saves nothing; "import" stores the file and queues the job."""
    form = ImportForm()
    if not form.is_submitted():
        form.upload_key.data = secrets.token_urlsafe(24)
    report = None
    if form.validate_on_submit():
        raw = form.file.data.read()
        try:
            parsed, columns = product_imports.read_file(raw)
            if form.run.data or parsed.question:  # a file partly not UTF-8 waits for the user's choice of reading
                found = product_imports.create_import(current_user, form.file.data.filename, raw, parsed, columns,
                                                      form.upload_key.data)
                return _queue_or_ask(found, run=bool(form.run.data))
            report = product_imports.check_file(raw)
        except UploadError as error:
            form.file.errors.append(str(error))
    return _render_import("products/import.html", form, report, form.errors)


def _queue_or_ask(found, run):
    """Queue the import (a second submission is refused: the first one's page) or ask how to read its file."""
    if not run or found.needs_encoding_choice:
        return redirect(url_for(".import_reading", import_id=found.id), code=303)
    try:
        product_imports.queue_import(found, current_user, ip=request.remote_addr)
    except import_jobs.AlreadyRun:
        pass
    return redirect(url_for(".import_result", import_id=found.id), code=303)


def _render_import(template, form, report, errors, **context):
    recent = db.session.scalars(select(ProductImport).where(ProductImport.created_by_id == current_user.id)
                                .order_by(ProductImport.id.desc()).limit(5)).all()
    return render_page_or_block(template, form=form, report=report, recent=recent, shown=REPORT_ROWS_SHOWN,
                                max_rows=f"{product_imports.MAX_ROWS:,}".replace(",", "."), **context), (
        400 if errors else 200)


@bp.route("/admin/products/import/<int:import_id>", methods=["GET", "POST"])
@roles("admin")
def import_reading(import_id):
    """An uploaded file partly not UTF-8: the lines named, the user chooses the reading, checks, then imports."""
    found = import_jobs.mine_or_404(ProductImport, import_id, current_user)
    if found.status != "uploaded":
        return redirect(url_for(".import_result", import_id=import_id), code=303)
    if import_jobs.stored_bytes(found) is None:  # left for a day (removed by the hourly job), or lost
        flash(_("The uploaded file is no longer there. Upload it again."), "error")
        return redirect(url_for(".import_csv"), code=303)
    form = ReadingForm(data={"reading": None if found.needs_encoding_choice else found.encoding})
    report = None
    if form.validate_on_submit():
        try:
            if found.encoding_question and form.reading.data:
                product_imports.choose_reading(found, form.reading.data)
            if found.needs_encoding_choice:
                form.reading.errors.append(_("Choose how to read the file before importing it."))
            elif form.run.data:
                return _queue_or_ask(found, run=True)
            else:
                report = product_imports.check_file(import_jobs.stored_bytes(found) or b"", found.encoding)
        except UploadError as error:
            form.reading.errors.append(str(error))
    raw = import_jobs.stored_bytes(found) or b""
    question = found.encoding_question
    return _render_import("products/import_reading.html", form, report, form.errors or form.reading.errors, imp=found,
                          question_text=encoding_question_text(question) if question else None,
                          reading_samples=reading_samples(raw, question) if question else {})


@bp.route("/admin/products/import/<int:import_id>/result")
@roles("admin")
def import_result(import_id):
    found = import_jobs.mine_or_404(ProductImport, import_id, current_user)
    if found.status == "uploaded":
        return redirect(url_for(".import_reading", import_id=import_id), code=303)
    return render_page_or_block("products/import_result.html", **_import_state(found))


@bp.route("/admin/products/import/<int:import_id>/progress")
@roles("admin")
def import_progress(import_id):
    """The progress fragment the result page polls every second (htmx) until the import has finished."""
    found = import_jobs.mine_or_404(ProductImport, import_id, current_user)
    if found.status == "uploaded":
        abort(404)
    return render_template("products/_import_state.html", **_import_state(found))


def _import_state(found):
    product_imports.check_stale(found)
    report = product_imports.stored_report(found) if found.status in ("imported", "failed") else None
    return {"imp": found, "report": report, "shown": REPORT_ROWS_SHOWN}


@bp.route("/products/search")
@signed_in
def search():
    """The quote builder's picker: <li> items of active products, each with a product_id submit button."""
    query = request.args.get("q", "").strip()[:100]
    return render_template("products/_picker.html", products=pick_products(query), query=query)
