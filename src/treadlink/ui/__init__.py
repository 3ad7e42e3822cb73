"""What the runner sees: terminal output built from session events."""
