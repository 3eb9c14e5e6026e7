// CameraCaptureTests: filled in by its issue.
