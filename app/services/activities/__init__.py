"""Quick call notes with their next step (notes) and visit check-in/out with distances (visits).
Serves the activities blueprint. Calls: common.

Public to other domains: notes.NEXT_STEP_HOUR, visits.is_far, visits.visit_minutes, visits.EARTH_RADIUS_M."""
