"""Q2/Q3 probes: another client's GC read back via CopyGC + a test draw; damage vs GC clip;
a window's visible region (Composite border clip); redirection test (NameWindowPixmap);
a zero-offset self-copy as an ordered visibility probe."""
import sys, struct
sys.path.insert(0, "/tmp/rec")
import numpy as np
from reclib import *
from Xlib import X, error
from Xlib.ext import damage
from Xlib.protocol import rq


class FetchRegion(rq.ReplyRequest):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(19), rq.RequestLength(), rq.Card32("region"))
    _reply = rq.Struct(rq.ReplyCode(), rq.Pad(1), rq.Card16("sequence_number"), rq.ReplyLength(),
                       rq.Int16("x"), rq.Int16("y"), rq.Card16("w"), rq.Card16("h"), rq.Pad(16),
                       rq.List("rects", rq.Struct(rq.Int16("x"), rq.Int16("y"), rq.Card16("w"), rq.Card16("h"))))


def fetch(d, region):
    r = FetchRegion(display=d.display, opcode=d.query_extension("XFIXES").major_opcode, region=region)
    return [(b.x, b.y, b.w, b.h) for b in r.rects]


def px(d, drw, x, y, w, h):
    return np.frombuffer(drw.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF).data, "<u4").reshape(h, w) & 0xFFFFFF


xv = start_xvfb()
try:
    A = xdisplay.Display(DISP); P = xdisplay.Display(DISP); Dm = xdisplay.Display(DISP)
    P.xfixes_query_version(); P.composite_query_version(); Dm.damage_query_version()
    root = A.screen().root; proot = P.screen().root
    W = root.create_window(100, 50, 400, 300, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0x808080,
                           override_redirect=True)
    W.map()
    # --- Q3: another client's GC, read back by CopyGC into ours and a test draw
    for fn, pm in ((X.GXcopy, 0xFFFFFFFF), (X.GXxor, 0xFFFFFFFF), (X.GXcopy, 0x00FF00FF)):
        gA = W.create_gc(function=fn, plane_mask=pm)
        A.sync()
        src = proot.create_pixmap(4, 1, 24); dst = proot.create_pixmap(4, 1, 24)
        gP = src.create_gc()
        gP.copy(gA.id, X.GCFunction | X.GCPlaneMask)          # their values into our GC
        plain = src.create_gc()
        for i, (s, dd) in enumerate(((0, 0), (0, 0xFFFFFF), (0xFFFFFF, 0), (0xFFFFFF, 0xFFFFFF))):
            plain.change(foreground=s); src.fill_rectangle(plain, i, 0, 1, 1)
            plain.change(foreground=dd); dst.fill_rectangle(plain, i, 0, 1, 1)
        dst.copy_area(gP, src, 0, 0, 4, 1, 0, 0)
        got = px(P, dst, 0, 0, 4, 1)[0]
        print(f"GC function={fn} plane_mask={pm:#x}: probe result {[f'{v:06x}' for v in got]} "
              f"-> behaves as plain copy: {list(got) == [0, 0, 0xFFFFFF, 0xFFFFFF]}")
    # --- damage vs GC clip: extents only
    P.sync()
    dmg = Dm.screen().root.damage_create(damage.DamageReportRawRectangles); Dm.sync()
    gc = W.create_gc(graphics_exposures=False)
    gc.set_clip_rectangles(0, 0, [dict(x=0, y=0, width=100, height=50), dict(x=300, y=200, width=50, height=50)], X.Unsorted)
    W.copy_area(gc, W, 0, 20, 400, 280, 0, 0); A.sync(); Dm.sync()
    evs = []
    while Dm.pending_events():
        e = Dm.next_event(); evs.append((e.area.x, e.area.y, e.area.width, e.area.height))
    print("copy with clip rects (0,0,100,50)+(300,200,50,50) -> raw damage", evs[1:], "(root coords)")
    # --- a sibling covers the bottom strip of W (source only)
    O = root.create_window(200, 335, 100, 15, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0xABCDEF,
                           override_redirect=True)
    O.map(); A.sync()
    reg = P.create_resource_object("window", W.id).composite_create_region_from_border_clip()
    print("Composite border clip of W:", fetch(P, reg))
    # zero-offset self-copy by us over the whole window: its damage = the visible part
    before = px(P, proot, 100, 50, 400, 300)
    pgc = P.create_resource_object("window", W.id).create_gc(graphics_exposures=False)
    P.create_resource_object("window", W.id).copy_area(pgc, P.create_resource_object("window", W.id), 0, 0, 400, 300, 0, 0)
    P.sync(); Dm.sync()
    evs = []
    while Dm.pending_events():
        e = Dm.next_event(); evs.append((e.area.x, e.area.y, e.area.width, e.area.height))
    after = px(P, proot, 100, 50, 400, 300)
    print("zero-offset self-copy probe: damage", evs, "pixels changed:", int((before != after).sum()))
    # --- redirection: NameWindowPixmap fails (BadMatch) unless the window is redirected
    def redirected(win):
        err = []
        pm = P.create_resource_object("window", win.id).composite_name_window_pixmap(onerror=lambda e, *a: err.append(e))
        P.sync()
        if not err:
            pm.free()
        return not err, (type(err[0]).__name__ if err else "ok")
    Wb = root.create_window(600, 50, 100, 100, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0,
                            override_redirect=True, backing_store=X.Always)
    Wb.map(); A.sync()
    print("redirected? plain W:", redirected(W), " backing_store=Always window:", redirected(Wb),
          " backing_store attr seen by another client:", P.create_resource_object("window", Wb.id).get_attributes().backing_store)
    reg2 = P.create_resource_object("window", Wb.id).composite_create_region_from_border_clip()
    Ob = root.create_window(650, 100, 100, 100, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0xABCDEF,
                            override_redirect=True); Ob.map(); A.sync()
    reg3 = P.create_resource_object("window", Wb.id).composite_create_region_from_border_clip()
    print("border clip of the backing-store window (before/after covering half of it):", fetch(P, reg2), fetch(P, reg3))
finally:
    xv.terminate(); xv.wait()
