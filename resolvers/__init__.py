"""Domain services and DataLoaders: the only code that reads and writes tables."""
