"""One treadmill interface, whatever the protocol (see treadlink.treadmill.base); the drivers
are treadlink.ftms and treadlink.fitshow."""
