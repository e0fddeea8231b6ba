"""Admin: the periodic rules, their settings, what they did."""
from flask import Blueprint

bp = Blueprint("automation", __name__)
