"""Small helpers: a RECORD data connection in a thread, decoding of the stream."""
import struct, threading, time, os, subprocess
from Xlib import display as xdisplay
from Xlib.ext import record
from Xlib.protocol import rq

DISP = ":77"
CORE = {1:"CreateWindow",8:"MapWindow",10:"UnmapWindow",12:"ConfigureWindow",36:"GrabServer",37:"UngrabServer",
        43:"GetInputFocus",55:"CreateGC",56:"ChangeGC",57:"CopyGC",59:"SetClipRectangles",60:"FreeGC",
        61:"ClearArea",62:"CopyArea",70:"PolyFillRectangle",72:"PutImage",76:"ImageText8",127:"NoOperation"}


def start_xvfb():
    p = subprocess.Popen(["Xvfb", DISP, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                         stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists("/tmp/.X11-unix/X77"):
            try:
                xdisplay.Display(DISP).close(); return p
            except Exception:
                pass
        time.sleep(0.05)
    raise SystemExit("no Xvfb")


def rng(core_req=(0, 0), events=(0, 0), ext=(0, 0, 0, 0)):
    return {"core_requests": core_req, "core_replies": (0, 0),
            "ext_requests": ext, "ext_replies": (0, 0, 0, 0),
            "delivered_events": events, "device_events": (0, 0), "errors": (0, 0),
            "client_started": False, "client_died": False}


class Recorder:
    """Enable `ctx` on its own connection in a thread; keep (t_arrival, category, id_base, data)."""
    def __init__(self, ctx):
        self.d = xdisplay.Display(DISP)
        self.items, self.bytes, self.replies = [], 0, 0
        self.ctx = ctx
        self.lock = threading.Lock()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _cb(self, r):
        now = time.monotonic()
        with self.lock:
            self.replies += 1
            self.bytes += 32 + len(r.data)
            self.items.append((now, r.category, r.id_base, bytes(r.data) if not isinstance(r.data, str) else r.data.encode('latin1')))

    def _run(self):
        try:
            self.d.record_enable_context(self.ctx, self._cb)
        except Exception as e:  # ended by disable
            print("recorder thread:", e)

    def snapshot(self):
        with self.lock:
            return list(self.items)


def decode(items, dmg_base, base_names, t0=0.0):
    """One line per protocol element, in stream order."""
    out = []
    for t, cat, base, data in items:
        who = base_names.get(base, hex(base))
        if cat == record.FromClient:
            off = 0
            while off < len(data):
                op = data[off]
                ln = struct.unpack_from("<H", data, off + 2)[0] * 4
                if ln == 0:  # big request
                    ln = struct.unpack_from("<I", data, off + 4)[0] * 4
                body = data[off:off + ln]
                if op == 62:
                    src, dst, gc, sx, sy, dx, dy, w, h = struct.unpack_from("<IIIhhhhHH", body, 4)
                    desc = f"CopyArea src={src:#x} dst={dst:#x} gc={gc:#x} ({sx},{sy})->({dx},{dy}) {w}x{h}"
                else:
                    desc = CORE.get(op, f"op{op}") + (f" minor={data[off+1]}" if op >= 128 else "") + f" {ln}B"
                out.append((t, who, "REQ", desc))
                off += ln
        elif cat == record.FromServer:
            off = 0
            while off < len(data):
                code = data[off] & 0x7f
                if code == dmg_base:
                    lvl, seq, drw, dmg, ts, ax, ay, aw, ah, gx, gy, gw, gh = struct.unpack_from("<BHIIIhhHHhhHH", data, off + 1)
                    out.append((t, who, "EV", f"DamageNotify lvl={lvl:#x} area=({ax},{ay} {aw}x{ah}) geom=({gx},{gy} {gw}x{gh})"))
                    off += 32
                elif code == 1:  # reply
                    ln = 32 + 4 * struct.unpack_from("<I", data, off + 4)[0]
                    out.append((t, who, "REPLY", f"{ln}B")); off += ln
                else:
                    out.append((t, who, "EV", f"event {code}")); off += 32
        else:
            out.append((t, who, "CAT", {2: "ClientStarted", 3: "ClientDied", 4: "StartOfData", 5: "EndOfData"}.get(cat, cat)))
    return out
