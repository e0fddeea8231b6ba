"""Signing in (signin), the sign-in attempts counted in the database for every worker (rate_limit_storage,
Flask-Limiter's "database://" storage) and the admin's rules for users, roles and teams (users). Serves the auth and
admin blueprints. Calls no other domain."""
