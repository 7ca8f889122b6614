"""The scene file: its model, its loading and validation, its JSON Schema."""
