#!/usr/bin/env python3
"""The window's JavaScript heap, through WebKit's remote inspector (how issue 17's runaway was found).

Start the app with WebKit's inspector server on a port of your choice, then ask it:

    WEBKIT_INSPECTOR_HTTP_SERVER=127.0.0.1:9310 target/debug/warroom-desktop &
    python3 benches/inspect.py 9310 heap           # JS heap after a collection: by class, and
                                                   # what nothing in the snapshot points to
    python3 benches/inspect.py 9310 save FILE      # the whole snapshot (JSON), to study
    python3 benches/inspect.py 9310 eval 'EXPR'    # evaluate in the page, print the value
    python3 benches/inspect.py 9310 pin            # keep an iterator on Tauri's callbacks Map:
                                                   # the stale reference some windows fell into
                                                   # (src-tauri/read.rs); the heap then shows what
                                                   # still goes through that Map

With several soaks side by side (benches/soak.sh), give each its own port. A heap where many
`Function`s have nothing pointing to them is the runaway: JavaScriptCore's replaced Map tables
hold them (the snapshot does not show a Map's storage), with whatever they kept.

Standard library only: a plain WebSocket without compression (a heap snapshot of a runaway
window is tens of MB, more than clients with compression accept by default).
"""

import base64
import collections
import json
import os
import socket
import struct
import sys


class Inspector:
    """One session with the window's page (target 1 of connection 1: the app has one page)."""

    def __init__(self, port):
        try:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout=300)
        except OSError as e:
            sys.exit(f"port {port}: {e} (start the app with WEBKIT_INSPECTOR_HTTP_SERVER=127.0.0.1:{port})")
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /socket/1/1/WebPage HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                sys.exit(f"port {port}: the inspector closed the connection (is it WebKit's?)")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            sys.exit(f"port {port}: no WebSocket: {head.decode(errors='replace')}")
        self.target = None
        while self.target is None:
            m = json.loads(self.recv())
            if m.get("method") == "Target.targetCreated":
                self.target = m["params"]["targetInfo"]["targetId"]
        self.next_id = 0

    def need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("the inspector closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        data = b""
        while True:
            b0, b1 = self.need(2)
            n = b1 & 127
            if n == 126:
                n = struct.unpack(">H", self.need(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.need(8))[0]
            if b1 & 128:
                self.need(4)
            data += self.need(n)
            if b0 & 128:
                return data.decode()

    def send(self, obj):
        payload = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = bytes([0x81, 0x80 | n])
        elif n < 65536:
            head = bytes([0x81, 0x80 | 126]) + struct.pack(">H", n)
        else:
            head = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def call(self, method, params=None):
        """Calls `method` on the page and returns its answer (`result` or `error`)."""
        self.next_id += 1
        inner = json.dumps({"id": self.next_id, "method": method, "params": params or {}})
        self.send({"id": self.next_id, "method": "Target.sendMessageToTarget",
                   "params": {"targetId": self.target, "message": inner}})
        while True:
            m = json.loads(self.recv())
            if m.get("method") == "Target.dispatchMessageFromTarget":
                answer = json.loads(m["params"]["message"])
                if answer.get("id") == self.next_id:
                    return answer

    def snapshot(self):
        self.call("Heap.enable")
        self.call("Heap.gc")
        answer = self.call("Heap.snapshot")
        if "error" in answer:
            sys.exit(f"Heap.snapshot: {answer['error']}")
        return answer["result"]["snapshotData"]


def summary(data):
    """The heap by class, and the cells nothing in the snapshot points to (by class)."""
    snap = json.loads(data)
    nodes, edges, names = snap["nodes"], snap["edges"], snap["nodeClassNames"]
    cls = {nodes[i]: names[nodes[i + 2]] for i in range(0, len(nodes), 4)}
    size = collections.Counter()
    count = collections.Counter()
    for i in range(0, len(nodes), 4):
        size[names[nodes[i + 2]]] += nodes[i + 1]
        count[names[nodes[i + 2]]] += 1
    pointed = {edges[i + 1] for i in range(0, len(edges), 4)}
    unpointed = collections.Counter(c for n, c in cls.items() if n not in pointed)
    print(f"JS heap after a collection: {sum(size.values()) / 1e6:.1f} MB in {len(cls)} cells")
    for name, s in size.most_common(12):
        print(f"  {s / 1e6:8.2f} MB {count[name]:8d}  {name}")
    print("pointed to by nothing in the snapshot (a Map's values, native roots): "
          + ", ".join(f"{c} {n}" for n, c in unpointed.most_common(8)))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    port, verb = int(sys.argv[1]), sys.argv[2]
    page = Inspector(port)
    if verb == "heap":
        summary(page.snapshot())
    elif verb == "save" and len(sys.argv) == 4:
        data = page.snapshot()
        with open(sys.argv[3], "w") as f:
            f.write(data)
        print(f"wrote {sys.argv[3]} ({len(data) / 1e6:.1f} MB)")
    elif verb == "eval" and len(sys.argv) == 4:
        answer = page.call("Runtime.evaluate", {"expression": sys.argv[3], "returnByValue": True})
        print(json.dumps(answer.get("result", answer.get("error"))))
    elif verb == "pin":
        expr = "window.__warroomPin = window.__TAURI_INTERNALS__.callbacks.entries(); 'pinned'"
        print(json.dumps(page.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}).get("result")))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
