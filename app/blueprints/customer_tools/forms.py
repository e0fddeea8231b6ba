"""Forms of the customer tools: merging two customers, uploading a CSV and mapping its columns."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import FieldList, IntegerField, RadioField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired, Optional

from app.forms import BaseForm
from app.services.common.csv_files import reading_choices
from app.services.customers.imports import FIELD_LABELS, FIELDS, IGNORE
from app.services.customers.merge import MERGE_FIELDS, default_choice, field_value

SIDES = [SelectChoice("a", "A"), SelectChoice("b", "B")]


class MergeForm(BaseForm):
    """The survivor, the versions both customers had when compared, and a keep_<field> choice per field."""

    survivor = RadioField(_l("Keep"), choices=SIDES, validators=[InputRequired(_l("Choose the customer to keep."))])
    version_a = IntegerField(validators=[InputRequired()])
    version_b = IntegerField(validators=[InputRequired()])
    submit = SubmitField(_l("Merge"))

    def fill_defaults(self, a, b, keep):
        """Survivor `keep` ("a" or "b"); each differing field keeps the survivor's value unless it is empty."""
        self.survivor.data = keep
        self.version_a.data, self.version_b.data = a.version, b.version
        survivor, other = (a, b) if keep == "a" else (b, a)
        sides = {"survivor": keep, "other": "b" if keep == "a" else "a", "both": "both"}
        for name in MERGE_FIELDS:
            self[f"keep_{name}"].data = sides[default_choice(name, field_value(survivor, name), field_value(other, name))]

    def field_choices(self):
        """{field: "survivor" | "other" | "both"} for the fields the user picked."""
        choices = {}
        for name in MERGE_FIELDS:
            picked = self[f"keep_{name}"].data
            if picked == "both":
                choices[name] = "both"
            elif picked in ("a", "b"):
                choices[name] = "survivor" if picked == self.survivor.data else "other"
        return choices

    def versions(self):
        """(survivor's version, the other's version) as the user saw them."""
        if self.survivor.data == "a":
            return self.version_a.data, self.version_b.data
        return self.version_b.data, self.version_a.data


for _name in MERGE_FIELDS:
    _choices = SIDES + ([SelectChoice("both", _l("Both"))] if _name == "notes" else [])
    setattr(MergeForm, f"keep_{_name}", RadioField(choices=_choices, validators=[Optional()]))


class UploadForm(BaseForm):
    """The CSV file; managers and admins also choose whose customers the rows become."""

    file = FileField(_l("CSV file"), validators=[
        FileRequired(_l("Choose a CSV file.")),
        FileAllowed(["csv", "txt", "tsv"], _l("Choose a .csv file (in Excel: Save as → CSV UTF-8).")),
    ])
    owner_id = SelectField(_l("Owner of the new customers"), coerce=int)
    submit = SubmitField(_l("Upload"))


FIELD_CHOICES = [SelectChoice(IGNORE, _l("— ignore —"))] + [SelectChoice(name, FIELD_LABELS[name]) for name in FIELDS]
DUPLICATE_CHOICES = [SelectChoice("skip", _l("Skip rows that look like an existing customer or an earlier row")),
                     SelectChoice("import", _l("Import them anyway (a tax code already used is never imported)"))]


class MappingForm(BaseForm):
    """Which customer field each CSV column fills, and what to do with likely duplicates."""

    columns = FieldList(SelectField(choices=FIELD_CHOICES), min_entries=0, max_entries=500)
    on_duplicate = RadioField(_l("Duplicates"), choices=DUPLICATE_CHOICES, default="skip")
    reading = RadioField(_l("How should the file be read?"), choices=reading_choices, validators=[Optional()])
    preview = SubmitField(_l("Update preview"))
    run = SubmitField(_l("Import"))
