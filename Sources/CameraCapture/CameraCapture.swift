// CameraCapture: placeholder until its issue lands.
