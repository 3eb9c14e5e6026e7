// ProcessSupport: placeholder until its issue lands.
