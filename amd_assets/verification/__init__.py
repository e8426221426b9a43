"""Verification: every response checked (math, code, judge, rules) before it can be released."""
