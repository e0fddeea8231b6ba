"""Business rules as plain functions over the database session, one package per domain.

Each package is named as the blueprint(s) it serves and says in its docstring what it owns and which
other packages it may call. A domain calls another only through that package's public functions
(names without a leading underscore); `common` holds what every domain shares and calls no domain.

    common         scope (who sees what), settings, text search, CSV safety and reading, session helpers
    auth           signing in, users and roles
    pipeline       stages, deals and their moves, the board
    customers      customers, their card and timeline, duplicates, merge, CSV import
    activities     call notes and visits
    products       the price list and its CSV import
    quotes         quotes, pricing, approvals, documents (PDF), delivery, the customer's answer, contracts
    agenda         Today, nearby, the team's day, the morning digest, the calendar feed
    automation     the periodic rules and the quote reminder e-mails
    notifications  the bell

Layers: common <- pipeline <- customers, activities, products, quotes <- agenda, automation.
No request, template or blueprint is imported here; jobs are queued by name (app/queue.py).
"""
