"""Quotes from first draft to contract: editing and revisions (editing), the arithmetic in đồng (pricing,
vnd_words), gapless numbers (numbering), approval rules and decisions (approvals), the PDFs (documents),
sending (delivery) and the customer's answer that makes the contract (answers).
Serves the quotes, delivery and public blueprints. Calls: common, pipeline (a sent quote and an accepted
one move their deal). E-mails go through the job queue by name (app/queue.py).

Public to other domains: approvals.awaiting_conditions, documents.company/document_locale/quote_pdf."""
