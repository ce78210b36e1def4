"""Creating a database: schema, areas, indicators, meetings and the seeded demo."""
