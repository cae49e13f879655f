"""The one way an end-to-end test waits for the server: `eventually` polls a condition until it holds
or one generous budget has passed. A passing wait returns as soon as the condition holds, so the budget
costs nothing on a quiet machine and only has to cover a loaded 2-core CI runner. Waits on real work
(a training run) pass their own, longer timeout. The caller asserts on the result, with its own message:

    assert eventually(lambda: server_is_up()), "hilo serve did not come up"
    run = eventually(finished_run, timeout=900, every=2)    # the first truthy value, or the last falsy one
"""
import time

TIMEOUT = 120  # seconds: far more than any wait for the server takes here


def eventually(condition, timeout=TIMEOUT, every=0.1):
    """Calls `condition()` every `every` seconds until it returns something truthy, and returns that;
    after `timeout` seconds returns its last (falsy) value instead."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= end:
            return value
        time.sleep(every)
