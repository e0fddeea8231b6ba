"""Shifted clock for the subprocesses a shifted-clock test run starts (the PDF helper, gunicorn, `flask`).

tests/conftest.py puts this folder on PYTHONPATH and FIELDCRM_CLOCK_OFFSET (seconds, float) in the
environment when pytest runs with --clock-shift or --clock-start; every Python process started from
the tests then runs time_machine.travel(now + offset, tick=True), the same clock as the tests.
"""
import os

_offset = os.environ.get("FIELDCRM_CLOCK_OFFSET")
if _offset:
    try:
        import time as _time

        import time_machine as _time_machine
    except ImportError:  # a Python without time_machine (not the project's venv): leave its clock alone
        pass
    else:
        _time_machine.travel(_time.time() + float(_offset), tick=True).start()
