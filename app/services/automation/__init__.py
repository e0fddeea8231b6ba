"""The periodic rules: the registry with the admin's settings and a pass over everything (registry), what
every rule shares (passes), the task-making rules (rules), stale deals (stale), the quote reminder rule and
its e-mail (quote_reminders, reminder_delivery), and what the admin reads of them (log).
Serves the automation blueprint and the periodic job. Calls: common, quotes (documents)."""
