"""Automatic routing of new leads: ordered rules, a strategy over chosen staff, capacity,
working hours and "away until" (engine: the pure choice; rules: CRUD; assign: leads as they
are stored and the backlog; reroute: deactivation and breaches; overview: the admin page)."""
