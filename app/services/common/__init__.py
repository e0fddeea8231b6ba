"""What every domain shares, and which calls no domain: the ownership scope (scope), admin settings
(settings), diacritic-insensitive text search (search), CSV writing and reading (csv_safe, csv_files) and
session helpers (sessions)."""
