"""The bell: unread count (polled), the list, marking read."""
from flask import Blueprint

bp = Blueprint("notifications", __name__)
