"""A recorded session as files other tools read: TCX and FIT activities, and a PNG chart."""
