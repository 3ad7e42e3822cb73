"""`make bench`: the figures treadlink sets a goal for, each printed beside its goal as a table and
written as JSON."""
