"""Listening back: hear every sentence of an episode and flag what was not said right.

Nothing is imported here: `from yomiage.check.report import ...` must not load the
recogniser and scipy with it (regen --flagged only reads the last report).
"""
