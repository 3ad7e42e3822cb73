"""The control point's stop path, unit by unit (placeholder while the file is written)."""
