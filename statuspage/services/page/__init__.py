"""The page as each audience reads it: roll-up, view models, builders, history."""
