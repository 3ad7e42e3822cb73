"""`make bench`: the figures DESIGN.md sets a bar for, printed as a table and written as JSON."""
