"""Primitive ops (Function subclasses), grouped by kind."""
