// BrokerCoreTests: filled in by its issue.
