"""Listening back: hear every sentence of an episode and flag what was not said right."""

from yomiage.check.checker import check_episode, episode_of
from yomiage.check.report import REPORT_FILE, CheckReport, flagged_keys, report_json, write_report

__all__ = [
    "REPORT_FILE",
    "CheckReport",
    "check_episode",
    "episode_of",
    "flagged_keys",
    "report_json",
    "write_report",
]
