"""Processing's SQL: ``cases`` reads a case and what it carries, ``transitions`` writes what a
transition did in one statement, ``queue`` lists a department's work."""
