// WireProtocol: placeholder until its issue lands.
