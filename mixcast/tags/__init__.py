"""Genre tags and city tags."""
