// BrokerCore: placeholder until its issue lands.
