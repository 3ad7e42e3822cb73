"""The safety guard: the emergency-stop watcher that latches on faults and stops the belt."""
