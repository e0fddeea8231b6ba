"""What a user has to do and where: Today and the next days (today, queries, actions), customers due
nearby (nearby), the manager's team day (team_day), the morning e-mail (digest) and the private calendar
feed (calendar_feed). Serves the main, field and calendar_feed blueprints.
Calls: common, quotes (approvals waiting), customers (directions), activities (next-step hour, visits)."""
