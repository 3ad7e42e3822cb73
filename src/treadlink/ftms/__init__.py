"""The FTMS control layer: protocol numbers, byte layouts, the control point and the treadmill."""
