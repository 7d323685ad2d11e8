"""A read-only view of the arm for the tests: a monitor connection to aether_controller
(hello role monitor, then status), so a test sees what the arm does, not what the bridge says."""

import json
import socket
import time


class ArmWatch:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.f = self.sock.makefile("rwb")
        self.n = 0
        r = self.request({"type": "hello", "version": 1, "client": "armwatch", "role": "monitor"})
        assert r["status"] == "ok", r

    def request(self, req):
        self.n += 1
        req = dict(req, id=self.n)
        self.f.write((json.dumps(req) + "\n").encode())
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if r.get("type") != "event" and r.get("id") == self.n:
                return r

    def state(self):
        return self.request({"type": "status"})["state"]

    def wait(self, cond, what, timeout=20.0):
        """Poll the arm's state until cond(state) holds; return that state."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.state()
            if cond(st):
                return st
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; arm state {st}")
            time.sleep(0.02)  # polling interval of a condition with a deadline

    def at_rest(self):
        return self.wait(lambda st: not st["moving"], "the arm to come to rest")

    def close(self):
        self.f.close()
        self.sock.close()


def pose(st):
    p = st["pose"]
    return p["x"], p["y"], p["z"]
