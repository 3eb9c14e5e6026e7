// GalleryStoreTests: filled in by its issue.
