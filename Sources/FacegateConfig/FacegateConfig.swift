// FacegateConfig: placeholder until its issue lands.
