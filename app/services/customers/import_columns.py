"""The customer fields a CSV column can fill, and guessing them from the header titles people write."""
from flask_babel import lazy_gettext as _l

from app.services.common.csv_files import fold_header

IGNORE = "ignore"
FIELD_LABELS = {
    "name": _l("Name"), "kind": _l("Kind (company/person)"), "lifecycle": _l("Lifecycle"), "phone": _l("Phone"),
    "phone_alt": _l("Other phone"), "email": _l("Email"), "tax_code": _l("Tax code"), "address": _l("Address"),
    "ward": _l("Ward"), "district": _l("District"), "province": _l("Province/City"), "source": _l("Source"),
    "tags": _l("Tags"), "notes": _l("Notes"), "birthday": _l("Birthday"), "contact_name": _l("Contact name"),
    "contact_phone": _l("Contact phone"), "contact_email": _l("Contact email"),
}
FIELDS = tuple(FIELD_LABELS)

# Headers people write, folded (no diacritics, lower case, punctuation as spaces). The owner is never a column.
HEADER_ALIASES = {
    "name": {"ten khach hang", "ten kh", "khach hang", "ten", "ho ten", "ho va ten", "ten cong ty", "cong ty",
             "ten doanh nghiep", "doanh nghiep", "ten cua hang", "cua hang", "name", "customer", "customer name",
             "company", "company name", "full name", "account", "account name"},
    "kind": {"loai", "loai khach hang", "loai kh", "kind", "type", "customer type"},
    "lifecycle": {"giai doan", "giai doan khach hang", "trang thai", "vong doi", "lifecycle", "lifecycle stage", "status", "stage"},
    "phone": {"so dien thoai", "dien thoai", "sdt", "so dt", "dt", "di dong", "so di dong", "phone", "phone number",
              "mobile", "mobile phone", "tel", "telephone", "so dien thoai 1", "sdt 1", "phone 1"},
    "phone_alt": {"so dien thoai 2", "dien thoai 2", "sdt 2", "sdt phu", "so dien thoai phu", "dien thoai khac",
                  "sdt khac", "dien thoai ban", "phone 2", "other phone", "alt phone", "alternative phone",
                  "phone alt", "mobile 2", "landline", "work phone"},
    "email": {"email", "e mail", "thu dien tu", "dia chi email", "email address", "mail"},
    "tax_code": {"ma so thue", "mst", "ma thue", "so thue", "tax code", "tax id", "tax number", "vat", "vat number"},
    "address": {"dia chi", "so nha", "duong", "dia chi chi tiet", "address", "street", "street address", "address line"},
    "ward": {"phuong xa", "phuong", "xa", "phuong xa thi tran", "ward", "commune"},
    "district": {"quan huyen", "quan", "huyen", "district"},
    "province": {"tinh thanh pho", "tinh thanh", "tinh tp", "tinh", "thanh pho", "province", "city", "province city"},
    "source": {"nguon", "nguon khach", "nguon khach hang", "kenh", "source", "lead source", "channel"},
    "tags": {"nhan", "the", "tag", "tags", "label", "labels", "nhom"},
    "notes": {"ghi chu", "ghi chu khac", "mo ta", "notes", "note", "description", "comment", "comments", "remarks"},
    "birthday": {"ngay sinh", "sinh nhat", "birthday", "date of birth", "dob", "birth date"},
    "contact_name": {"nguoi lien he", "ten nguoi lien he", "lien he", "contact", "contact name", "contact person"},
    "contact_phone": {"sdt nguoi lien he", "dien thoai nguoi lien he", "so dien thoai nguoi lien he", "sdt lien he",
                      "contact phone", "contact mobile"},
    "contact_email": {"email nguoi lien he", "email lien he", "contact email", "contact e mail"},
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}


def guess_mapping(header):
    """A field (or IGNORE) for each column, guessed from its header; each field is used once, first column wins."""
    used, mapping = set(), []
    for title in header:
        guess = _ALIAS_TO_FIELD.get(fold_header(title), IGNORE)
        if guess != IGNORE and guess in used:
            guess = IGNORE
        used.add(guess)
        mapping.append(guess)
    return mapping
