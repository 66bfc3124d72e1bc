"""The user's own settings: preferences and saved queries (user config dir)."""
