"""Addresses of the activities blueprint that other blueprints build links with (Today's note sheet)."""
from urllib.parse import urlencode

from app.formatting import url_pattern


def note_url(customer_id, deal_id=None, agenda_item_id=None, origin="card"):
    """The note form's address: a page without JavaScript, the sheet's content with htmx."""
    args = {"deal": deal_id, "activity": agenda_item_id, "from": origin if origin != "card" else None}
    query = urlencode({k: v for k, v in args.items() if v})
    # A pattern built once per request: Today renders this link on up to 60 lines.
    path = url_pattern("activities.new_note", "customer_id").format(customer_id)
    return f"{path}?{query}" if query else path
