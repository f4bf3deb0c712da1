"""Prototype: a capturer that learns CopyArea from RECORD and reads only what it cannot
compute, checked bit-exact against the screen under GrabServer.

Stream (one context, AllClients): CopyArea, GC requests, window/Composite/SHAPE requests,
Grab/Ungrab, GetImage, DamageSubtract, client deaths, and the DamageNotify events of a raw
DAMAGE object on the root owned by our connection Dm.  Our own requests (connection Q) are
the markers that put our Subtract/reads/probes at their place in the server's order."""
import sys, struct, time, subprocess, threading, collections
sys.path.insert(0, "/tmp/rec")
import numpy as np
from reclib import start_xvfb, rng, DISP
from Xlib import X, display as xdisplay
from Xlib.ext import record, damage
from Xlib.protocol import rq

SW, SH = 1280, 800
SECS = float(sys.argv[1]) if len(sys.argv) > 1 else 6.0
FPS = 30
import os
BUG_SRC = os.environ.get("BUG_SRC") == "1"
NO_INVAL = os.environ.get("NO_INVAL") == "1"  # deliberately wrong: for testing the checker


class CreateRegion(rq.Request):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(5), rq.RequestLength(), rq.Card32("region"))


class FetchRegion(rq.ReplyRequest):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(19), rq.RequestLength(), rq.Card32("region"))
    _reply = rq.Struct(rq.ReplyCode(), rq.Pad(1), rq.Card16("sequence_number"), rq.ReplyLength(),
                       rq.Int16("x"), rq.Int16("y"), rq.Card16("w"), rq.Card16("h"), rq.Pad(16),
                       rq.List("rects", rq.Struct(rq.Int16("x"), rq.Int16("y"), rq.Card16("w"), rq.Card16("h"))))


GC_BITS = 23


class Capturer:
    def __init__(self):
        self.Q = xdisplay.Display(DISP); self.Dm = xdisplay.Display(DISP); self.C = xdisplay.Display(DISP)
        Q = self.Q
        Q.damage_query_version(); Q.xfixes_query_version(); Q.composite_query_version()
        self.Dm.damage_query_version()
        di = Q.query_extension("DAMAGE"); self.dmg_major, self.dmg_base = di.major_opcode, di.first_event
        self.fixes = Q.query_extension("XFIXES").major_opcode
        self.root = Q.screen().root
        self.qbase = Q.display.info.resource_id_base
        # raw damage object (Dm), the capturer's NonEmpty object (Q) + region
        self.raw = self.Dm.screen().root.damage_create(damage.DamageReportRawRectangles)
        self.Dm.sync()
        ranges = [rng(core_req=(62, 62), events=(self.dmg_base, self.dmg_base),
                      ext=(self.dmg_major, self.dmg_major, 3, 3)),
                  rng(core_req=(55, 60)), rng(core_req=(1, 2)), rng(core_req=(4, 13)),
                  rng(core_req=(36, 37)), rng(core_req=(73, 73))]
        ranges[0]["client_died"] = True
        for ext in ("Composite", "SHAPE"):
            e = Q.query_extension(ext)
            if e.present:
                ranges.append(rng(ext=(e.major_opcode, e.major_opcode, 0, 255)))
        self.comp_major = Q.query_extension("Composite").major_opcode
        self.inval_majors = {Q.query_extension(e).major_opcode for e in ("Composite", "SHAPE")}
        self.ctx = self.C.record_create_context(0, [record.AllClients], ranges); self.C.sync()
        self.items = collections.deque(); self.rbytes = 0
        self.R = xdisplay.Display(DISP)
        threading.Thread(target=lambda: self.R.record_enable_context(self.ctx, self._cb), daemon=True).start()
        threading.Thread(target=self._drain_dm, daemon=True).start()
        time.sleep(0.2)
        self.nd = self.root.damage_create(damage.DamageReportNonEmpty)
        self.region = Q.display.allocate_resource_id()
        CreateRegion(display=Q.display, opcode=self.fixes, region=self.region)
        self.pgc = self.root.create_gc(graphics_exposures=False, subwindow_mode=X.ClipByChildren)
        Q.sync()
        self.actions_init = [("init", 55)]
        # model
        self.M = np.zeros((SH, SW), np.uint32); self.U = np.ones((SH, SW), bool)
        self.rawunion = np.zeros((SH, SW), bool)
        self.gcs = {}            # gc id -> dict(function, plane_mask, clip, subwin) (known ones only)
        self.proven = {}         # window id -> (x, y, w, h) root rect proven entirely visible
        self.want_probe = set(); self.never = set()
        self.actions = collections.deque(self.actions_init)   # our recorded requests, in the order sent
        self.expect = None       # a trusted copy waiting for its damage event
        self.probe_boxes = None
        self.stats = collections.Counter()
        self.pending = []        # parsed elements not consumed yet

    def _cb(self, r):
        self.rbytes += 32 + len(r.data)
        self.items.append((r.category, r.id_base, bytes(r.data)))

    def _drain_dm(self):
        while True:
            self.Dm.next_event()

    # --- stream parsing
    def _elements(self):
        while self.items:
            cat, base, data = self.items.popleft()
            if cat == record.FromClient:
                off = 0
                while off < len(data):
                    ln = struct.unpack_from("<H", data, off + 2)[0] * 4
                    if ln == 0:
                        ln = struct.unpack_from("<I", data, off + 4)[0] * 4
                    self.pending.append(("req", base, data[off:off + ln])); off += ln
            elif cat == record.FromServer:
                for off in range(0, len(data), 32):
                    ev = data[off:off + 32]
                    if ev[0] & 0x7F == self.dmg_base and struct.unpack_from("<I", ev, 8)[0] == self.raw:
                        lvl = ev[1]; ax, ay, aw, ah = struct.unpack_from("<hhHH", ev, 16)
                        self.pending.append(("dmg", lvl & 0x80, (ax, ay, aw, ah)))
            elif cat == record.ClientDied:
                self.pending.append(("died", base, b""))

    def run_until(self, kind):
        """Apply stream elements in order until our action `kind` has been applied."""
        t0 = time.monotonic()
        while True:
            self._elements()
            while self.pending:
                el = self.pending.pop(0)
                done = self.apply(el)
                if done == kind:
                    self.stats["wait_ms_x100"] += int(1e5 * (time.monotonic() - t0))
                    return
            time.sleep(0.0003)
            if time.monotonic() - t0 > 5:
                raise SystemExit(f"stream stalled waiting for {kind}")

    # --- the model
    def mark(self, box):
        x, y, w, h = box
        self.U[max(y, 0):y + h, max(x, 0):x + w] = True
        self.rawunion[max(y, 0):y + h, max(x, 0):x + w] = True

    def apply(self, el):
        kind = el[0]
        if self.expect is not None:            # the damage of a trusted copy must come now
            W, want = self.expect
            if kind == "dmg":
                x, y, w, h = el[2]; self.batch[y:y + h, x:x + w] = True; self.rawunion[y:y + h, x:x + w] = True
                if el[1]:                      # more boxes of this report follow
                    return None
                self.expect = None
                if (self.batch == want).all():
                    return None
                self.U |= self.batch
            else:
                self.expect = None
            self.stats["trusted_copy_damage_mismatch"] += 1
            self.proven.pop(W, None); self.U |= want
            if kind == "dmg":
                return None
        if kind == "dmg":
            if self.probe_boxes is not None:
                self.probe_boxes.append(el[2]); x, y, w, h = el[2]; self.rawunion[y:y + h, x:x + w] = True
            else:
                self.mark(el[2])
            return None
        if kind == "died":
            self.proven.clear(); self.stats["invalidations"] += 1; return None
        _, who, req = el
        op = req[0]
        if who == self.qbase:                  # one of our markers
            act = self.actions.popleft()
            want = {"init": 55, "grab": 36, "cgrab": 36, "ungrab": 37, "cungrab": 37, "subtract": self.dmg_major,
                    "read": 73, "truth": 73, "probe": 62, "namepix": self.comp_major}[act[0]]
            assert op == want, (act[0], op)
            return self.our(act, op, req)
        if op == 62:
            self.copy(req)
        elif 55 <= op <= 60:
            self.gc_request(op, req)
        elif (op <= 13 or op in self.inval_majors) and not NO_INVAL:
            self.proven.clear(); self.stats["invalidations"] += 1
        return None

    def our(self, act, op, req):
        name = act[0]
        if name == "read":
            _, (x, y, w, h), data = act
            self.M[y:y + h, x:x + w] = data; self.U[y:y + h, x:x + w] = False
        elif name == "probe":
            self.probe_boxes = []; self.probe_act = act
        elif name == "ungrab" and self.probe_boxes is not None:
            _, W, rect, redirected = self.probe_act
            x, y, w, h = rect
            vis = np.zeros((SH, SW), bool)
            inside = True
            for bx, by, bw, bh in self.probe_boxes:
                vis[by:by + bh, bx:bx + bw] = True
                inside &= x <= bx and y <= by and bx + bw <= x + w and by + bh <= y + h
            if self.probe_boxes and inside and not redirected:
                self.proven[W] = (rect, vis); self.stats["probes_ok"] += 1
                self.stats["probes_partly_visible"] += self.probe_boxes != [rect]
            else:
                self.stats["probes_failed"] += 1
            self.probe_boxes = None
        elif name == "truth":
            truth = act[1]
            bad = int(((self.M != truth) & ~self.U).sum()); unk = int(self.U.sum())
            self.stats["checks"] += 1
            if bad:
                yy, xx = np.nonzero((self.M != truth) & ~self.U)
                print("check: bad pixels", bad, "bbox x", xx.min(), xx.max(), "y", yy.min(), yy.max(), "stats", dict(self.stats))
            self.stats["check_bad_pixels"] += bad; self.stats["check_unknown_pixels"] += unk
        return name

    def gc_request(self, op, req):
        if op == 55 or op == 56:
            gc = struct.unpack_from("<I", req, 4)[0]
            mask = struct.unpack_from("<I", req, 12 if op == 55 else 8)[0]
            vals = iter(struct.unpack_from(f"<{bin(mask).count('1')}I", req, 16 if op == 55 else 12))
            st = dict(function=3, plane_mask=0xFFFFFFFF, clip=0, subwin=0) if op == 55 else self.gcs.get(gc)
            for bit in range(GC_BITS):
                if mask & (1 << bit):
                    v = next(vals)
                    if st is None:
                        continue
                    if bit == 0: st["function"] = v
                    elif bit == 1: st["plane_mask"] = v
                    elif bit == 15: st["subwin"] = v
                    elif bit == 19: st["clip"] = v
            if st is not None:
                self.gcs[gc] = st
        elif op == 57:
            src, dst, mask = struct.unpack_from("<III", req, 4)
            if src in self.gcs and dst in self.gcs:
                for bit, key in ((0, "function"), (1, "plane_mask"), (15, "subwin"), (19, "clip")):
                    if mask & (1 << bit):
                        self.gcs[dst][key] = self.gcs[src][key]
            elif mask & ((1 << 0) | (1 << 1) | (1 << 15) | (1 << 19)):
                self.gcs.pop(dst, None)
        elif op == 59:                        # SetClipRectangles: not modelled -> unknown
            self.gcs.pop(struct.unpack_from("<I", req, 4)[0], None)
        elif op == 60:
            self.gcs.pop(struct.unpack_from("<I", req, 4)[0], None)

    def copy(self, req):
        src, dst, gc, sx, sy, dx, dy, w, h = struct.unpack_from("<IIIhhhhHH", req, 4)
        st = self.gcs.get(gc)
        plain = st is not None and st["function"] == 3 and st["plane_mask"] & 0xFFFFFF == 0xFFFFFF \
            and st["clip"] == 0 and st["subwin"] == 0
        proof = self.proven.get(dst)
        rect = proof and proof[0]
        if src == dst and plain and proof and w and h:
            (ox, oy, ww, wh), vis = proof
            if 0 <= sx and 0 <= sy and sx + w <= ww and sy + h <= wh and 0 <= dx and 0 <= dy \
                    and dx + w <= ww and dy + h <= wh:
                Sx, Sy, Dx, Dy = ox + sx, oy + sy, ox + dx, oy + dy
                Ssl = np.s_[Sy:Sy + h, Sx:Sx + w]; Dsl = np.s_[Dy:Dy + h, Dx:Dx + w]
                want = np.zeros((SH, SW), bool); want[Dsl] = vis[Dsl]
                if want.any():                 # its damage is D within the visible part: never empty
                    dvis, svis = vis[Dsl], vis[Ssl]
                    m = self.M[Ssl].copy(); u = self.U[Ssl] | (~svis if not BUG_SRC else False)
                    self.M[Dsl] = np.where(dvis, m, self.M[Dsl]); self.U[Dsl] = np.where(dvis, u, self.U[Dsl])
                    self.expect = (dst, want); self.batch = np.zeros((SH, SW), bool)
                    self.stats["copies_trusted"] += 1
                    return
        self.stats["copies_untrusted"] += 1
        if src == dst and plain and not rect and dst not in self.never:
            self.want_probe.add(dst)
        # its damage (if any) arrives as an ordinary event and marks U

    # --- our requests
    def probe(self, W):
        Q = self.Q
        win = Q.create_resource_object("window", W)
        try:
            g = win.get_geometry(); t = self.root.translate_coords(win, 0, 0)
        except Exception:
            self.never.add(W); return
        Q.grab_server(); self.actions.append(("grab",))
        err = []                               # redirected windows: damage does not prove visibility
        pm = win.composite_name_window_pixmap(onerror=lambda e, *a: err.append(e))
        self.actions.append(("namepix",))
        win.copy_area(self.pgc, win, 0, 0, g.width, g.height, 0, 0)
        self.actions.append(("probe", W, (t.x, t.y, g.width, g.height), None))
        Q.ungrab_server(); self.actions.append(("ungrab",))
        Q.sync()
        redirected = not err
        if redirected:
            pm.free()
        self.actions[-2] = ("probe", W, (t.x, t.y, g.width, g.height), redirected)

    def take(self, check=False):
        Q = self.Q
        for W in list(self.want_probe):
            self.want_probe.discard(W); self.probe(W)
        if check:
            Q.grab_server(); self.actions.append(("cgrab",))
        Q.damage_subtract(self.nd, X.NONE, self.region); self.actions.append(("subtract",))
        rt = FetchRegion(display=Q.display, opcode=self.fixes, region=self.region).rects
        self.run_until("subtract")
        # the capturer's own damage region must be inside what the raw stream told us
        area_rt = 0
        for b in rt:
            area_rt += b.w * b.h
            if not self.rawunion[b.y:b.y + b.h, b.x:b.x + b.w].all():
                self.stats["Rt_not_in_raw_stream"] += 1
                if self.stats["Rt_not_in_raw_stream"] <= 3:
                    print("R_t box not in raw:", (b.x, b.y, b.w, b.h), "rawunion total", int(self.rawunion.sum()), "U total", int(self.U.sum()), "raw covers", int(self.rawunion[b.y:b.y + b.h, b.x:b.x + b.w].sum()), "of", b.w * b.h)
        self.rawunion[:] = False
        self.stats["naive_read_px"] += area_rt
        rows = np.flatnonzero(self.U.any(axis=1))
        if len(rows):
            cuts = np.flatnonzero(np.diff(rows) > 1)
            for r0, r1 in zip(np.r_[rows[0], rows[cuts + 1]], np.r_[rows[cuts], rows[-1]] + 1):
                cols = np.flatnonzero(self.U[r0:r1].any(axis=0))
                x0, x1 = int(cols[0]), int(cols[-1]) + 1
                img = self.root.get_image(x0, int(r0), x1 - x0, int(r1 - r0), X.ZPixmap, 0xFFFFFFFF)
                data = np.frombuffer(img.data, "<u4").reshape(int(r1 - r0), x1 - x0) & 0xFFFFFF
                self.actions.append(("read", (x0, int(r0), x1 - x0, int(r1 - r0)), data))
                self.stats["read_px"] += data.size; self.stats["reads"] += 1
        if check:
            img = self.root.get_image(0, 0, SW, SH, X.ZPixmap, 0xFFFFFFFF)
            self.actions.append(("truth", np.frombuffer(img.data, "<u4").reshape(SH, SW) & 0xFFFFFF))
            Q.ungrab_server(); self.actions.append(("cungrab",))
            Q.sync()   # a reply makes the server flush its output, the record buffer with it
            self.run_until("cungrab")
        while Q.pending_events():
            Q.next_event()


xv = start_xvfb()
try:
    cap = Capturer()
    cap.take(check=True)                      # first full read
    wl = subprocess.Popen([sys.executable, "/tmp/rec/workload.py", "scroll", str(SECS), "1"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ADV = sys.argv[2] == "1" if len(sys.argv) > 2 else True
    adv = subprocess.Popen([sys.executable, "/tmp/rec/adversary.py", str(SECS if ADV else 0)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    wl.stdout.readline(); adv.stdout.readline()
    wl.stdin.write("go\n"); wl.stdin.flush(); adv.stdin.write("go\n"); adv.stdin.flush()
    t0 = time.monotonic(); n = 0
    b0 = cap.rbytes
    while wl.poll() is None:
        n += 1
        cap.take(check=(n % 10 == 0))
        time.sleep(max(0.0, t0 + n / FPS - time.monotonic()))
    el = time.monotonic() - t0
    adv.wait(); time.sleep(0.1)
    cap.take(check=True); cap.take(check=True)
    s = cap.stats
    print(f"takes {n} in {el:.1f}s; record stream {(cap.rbytes - b0) / el / 1024:.1f} KiB/s")
    for k in sorted(s):
        v = s[k] / 100 / (n + 3) if k == "wait_ms_x100" else s[k]
        print(f"  {k:30} {v:.3f}" if k == "wait_ms_x100" else f"  {k:30} {v}")
    print(f"  read/naive = {s['read_px'] / max(1, s['naive_read_px']):.3f}")
finally:
    xv.terminate(); xv.wait()
