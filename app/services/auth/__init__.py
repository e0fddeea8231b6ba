"""Signing in (signin) and the admin's rules for users, roles and teams (users). Serves the auth and
admin blueprints. Calls no other domain."""
