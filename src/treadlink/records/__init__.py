"""The runner's history: every session recorded in SQLite, the programme's next stage worked out
from it, and exports (TCX, FIT, PNG). Sits beside the session engine and only consumes its
events; knows nothing of Bluetooth."""
