// ConfigTests: filled in by its issue.
