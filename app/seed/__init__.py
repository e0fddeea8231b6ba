"""Seed data: demo records for trying FieldCRM out."""
