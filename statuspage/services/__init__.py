"""The write side (verb_noun functions, the only writers) and the read side (build_* views)."""
