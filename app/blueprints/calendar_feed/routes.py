"""The private calendar feed (.ics with a revocable token) and its settings page."""
from flask import Blueprint

bp = Blueprint("calendar_feed", __name__)
