// GalleryStore: placeholder until its issue lands.
