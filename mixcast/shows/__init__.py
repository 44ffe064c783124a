"""The show aggregate: a show with its sections, tags, hosts, visibility and engagement."""
