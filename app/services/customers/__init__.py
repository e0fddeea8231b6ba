"""Customers: the list, the card and its timeline, saving (records); likely duplicates (dedup); merging
(merge); the CSV import with its columns and per-row report (imports, import_columns, import_report).
Serves the customers and customer_tools blueprints. Calls: common, pipeline (stages).

Public to other domains: records.directions_url, records.TimelineEntry."""
