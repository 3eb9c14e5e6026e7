// FaceEngine: placeholder until its issue lands.
