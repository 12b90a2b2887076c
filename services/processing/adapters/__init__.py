"""Processing's outside world: the document store officers read citizens' documents from."""
