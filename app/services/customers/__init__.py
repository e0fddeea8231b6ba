"""Customers: the list, the card and its timeline, saving (records); contacts and the card's links
(contacts); likely duplicates (dedup); merging (merge); the CSV import, its rows, columns and per-row report
(imports, import_rows, import_columns, import_report).
Serves the customers and customer_tools blueprints. Calls: common, pipeline (stages).

Public to other domains: contacts.directions_url, records.TimelineEntry."""
