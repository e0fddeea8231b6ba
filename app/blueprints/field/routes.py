"""Nearby customers due for contact, and the manager's team agenda."""
from flask import Blueprint

bp = Blueprint("field", __name__)
