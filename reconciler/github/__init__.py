"""GitHub: what the pull-request pipeline reads from GitHub's REST API (untrusted data)."""
