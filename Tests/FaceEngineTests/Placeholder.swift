// FaceEngineTests: filled in by its issue.
