// ProcessTests: filled in by its issue.
