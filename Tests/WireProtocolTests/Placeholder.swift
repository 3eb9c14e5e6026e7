// WireProtocolTests: filled in by its issue.
