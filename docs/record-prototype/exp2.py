"""Q2: raw damage of a CopyArea vs its destination; what pixels result when the window is
partly covered (sibling, child, GC clip, off-screen, backing store)."""
import sys, struct
sys.path.insert(0, "/tmp/rec")
import numpy as np
from reclib import *
from Xlib import X
from Xlib.ext import damage

WW, WH, STEP = 400, 300, 20


def grab(d, x, y, w, h):
    img = d.screen().root.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF)
    return np.frombuffer(img.data, dtype="<u4").reshape(h, w) & 0xFFFFFF


def case(name, wx=100, wy=50, cover=None, child=None, clip=None, bs=X.NotUseful):
    A = xdisplay.Display(DISP); Dm = xdisplay.Display(DISP)
    Dm.damage_query_version()
    root = A.screen().root
    W = root.create_window(wx, wy, WW, WH, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0,
                           override_redirect=True, backing_store=bs)
    W.map()
    gc = W.create_gc(graphics_exposures=True)
    ys, xs = np.mgrid[0:WH, 0:WW]
    pix = ((ys.astype(np.uint32) << 12) | xs.astype(np.uint32)).astype("<u4")  # unique per pixel
    for y0 in range(0, WH, 50):
        W.put_image(gc, 0, y0, WW, 50, X.ZPixmap, 24, 0, pix[y0:y0 + 50].tobytes())
    others = []
    if cover:
        cx, cy, cw, ch = cover
        O = root.create_window(wx + cx, wy + cy, cw, ch, 0, 24, X.InputOutput, X.CopyFromParent,
                               background_pixel=0xABCDEF, override_redirect=True)
        O.map(); others.append(O)
    if child:
        cx, cy, cw, ch = child
        Cw = W.create_window(cx, cy, cw, ch, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0x00FF00)
        Cw.map(); others.append(Cw)
    if clip:
        gc.set_clip_rectangles(0, 0, [dict(x=a, y=b, width=c, height=e) for a, b, c, e in clip], X.Unsorted)
    A.sync()
    # the screen area of W, clipped to the screen
    x0, y0 = max(wx, 0), max(wy, 0); x1, y1 = min(wx + WW, 1280), min(wy + WH, 800)
    old = grab(A, x0, y0, x1 - x0, y1 - y0)
    dmg = root.damage_create(damage.DamageReportRawRectangles) if False else Dm.screen().root.damage_create(damage.DamageReportRawRectangles)
    Dm.sync()
    W.copy_area(gc, W, 0, STEP, WW, WH - STEP, 0, 0)   # scroll up by STEP
    A.sync(); Dm.sync()
    boxes = []
    while Dm.pending_events():
        e = Dm.next_event()
        boxes.append((e.area.x, e.area.y, e.area.width, e.area.height, e.level))
    gex = []
    while A.pending_events():
        e = A.next_event()
        gex.append((e.__class__.__name__, getattr(e, "x", None), getattr(e, "y", None), getattr(e, "width", None), getattr(e, "height", None)))
    new = grab(A, x0, y0, x1 - x0, y1 - y0)
    # prediction: D (root coords, clipped to screen) takes old pixels from D - delta
    pred = old.copy()
    dst = np.zeros_like(old, dtype=bool)
    for ry in range(y0, y1):
        wyy = ry - wy
        if 0 <= wyy < WH - STEP and y0 <= ry + STEP < y1:
            pred[ry - y0] = old[ry + STEP - y0]
        if 0 <= wyy < WH - STEP:
            dst[ry - y0] = True
    D = (wx, wy, WW, WH - STEP)
    ok = (new == pred) & dst
    kept = (new == old) & (new != pred) & dst
    other = (new != pred) & (new != old) & dst
    print(f"== {name}: D(root)={D}")
    print(f"   damage boxes (x,y,w,h,level): {boxes}  equal_D={[b[:4] for b in boxes] == [D]}")
    print(f"   dst pixels: as predicted {ok.sum()}, left unchanged(!=pred) {kept.sum()}, other {other.sum()}")
    for m, lab in ((kept, "unchanged"), (other, "other")):
        if m.any():
            yy, xx = np.nonzero(m)
            print(f"   {lab} bbox root x {xx.min()+x0}..{xx.max()+x0} y {yy.min()+y0}..{yy.max()+y0}")
            i = (yy[0], xx[0]); print(f"     e.g. root({xx[0]+x0},{yy[0]+y0}): old {old[i]:06x} new {new[i]:06x} pred {pred[i]:06x}")
    if gex:
        print(f"   client got: {gex[:6]}{' ...' if len(gex) > 6 else ''}")
    for o in others:
        o.destroy()
    W.destroy(); A.sync(); A.close(); Dm.close()


xv = start_xvfb()
try:
    case("A unobscured")
    case("B sibling covers part of src and dst", cover=(200, 150, 150, 100))
    case("C sibling covers only a src strip (not dst)", cover=(100, 285, 100, 15))
    case("D GC clip rectangles", clip=[(0, 0, 400, 100), (0, 150, 400, 130)])
    case("E off-screen bottom", wx=800, wy=600)
    case("F child window in src strip (ClipByChildren)", child=(50, 288, 40, 10))
    case("G child window in dst (ClipByChildren)", child=(50, 50, 40, 10))
    case("H backing_store=Always + sibling cover", cover=(200, 150, 150, 100), bs=X.Always)
finally:
    xv.terminate(); xv.wait()
