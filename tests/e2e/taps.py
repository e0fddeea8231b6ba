"""Count what a person does on the phone during a journey: taps and key presses.

`make bench` runs the journeys marked `journey` with FIELDCRM_TAPS_OUT set and
prints the counts next to their budgets.
"""
import json
import os
from pathlib import Path


class TapCounter:
    """Drive a page through taps and typing only, counting each."""

    def __init__(self, page):
        self.page = page
        self.taps = 0
        self.keys = 0

    def tap(self, locator):
        locator.tap()
        self.taps += 1

    def type(self, locator, text):
        locator.press_sequentially(text)
        self.keys += len(text)

    def keyboard(self, text, delay=0):
        """Type into whatever has the focus now (no tap first): proves the app kept the focus where it belongs."""
        self.page.keyboard.type(text, delay=delay)
        self.keys += len(text)

    def press(self, locator, key):
        locator.press(key)
        self.keys += 1


def record(journey, counter):
    """Add a journey's counts to the file named by FIELDCRM_TAPS_OUT (when set)."""
    out = os.environ.get("FIELDCRM_TAPS_OUT")
    if not out:
        return
    path = Path(out)
    data = json.loads(path.read_text()) if path.exists() else {}
    data[journey] = {"taps": counter.taps, "keys": counter.keys}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))
