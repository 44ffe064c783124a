"""Users: creation, look-up by username, reserved names, and the follow relation."""
