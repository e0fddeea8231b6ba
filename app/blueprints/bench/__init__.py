"""Bench-mode-only routes and timing."""
from app.blueprints.bench.routes import bp, init_timing

__all__ = ["bp", "init_timing"]
