"""`make bench`: the figures docs/benchmarks.md sets goals for, as a table and as JSON."""
