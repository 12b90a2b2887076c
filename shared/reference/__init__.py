"""Reference data as versioned law: the procedure catalog and the working-day calendar."""
