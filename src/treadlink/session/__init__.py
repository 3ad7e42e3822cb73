"""The session engine: runs a compiled stage on a treadmill, on absolute deadlines."""
