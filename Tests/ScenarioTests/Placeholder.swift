// ScenarioTests: filled in by issue 6.
