"""A worker stopped in the middle of a periodic pass leaves its lock; starting the worker again clears it."""
from app.jobs import AUTOMATION_LOCK, DIGEST_LOCK, huey


def test_the_periodic_locks_are_known_to_flush_locks_at_start():
    for lock in (AUTOMATION_LOCK, DIGEST_LOCK):
        lock.acquire()  # as if the worker had died inside the pass
        assert lock.is_locked()
    # what `huey_consumer --flush-locks` (make run) does when it starts
    assert {"automation-rules", "morning-digests"} <= huey.flush_locks()
    assert not AUTOMATION_LOCK.is_locked() and not DIGEST_LOCK.is_locked()
