"""Q1: one RECORD stream with other clients' CopyArea, damage events of our raw DAMAGE
object, our own marker requests; order and lag."""
import sys, time, struct
sys.path.insert(0, "/tmp/rec")
from reclib import *
from Xlib import X
from Xlib.ext import record, damage

xv = start_xvfb()
try:
    A = xdisplay.Display(DISP)   # the "application"
    Dm = xdisplay.Display(DISP)  # owns the raw DAMAGE object
    M = xdisplay.Display(DISP)   # markers
    C = xdisplay.Display(DISP)   # creates the context
    names = {}
    for n, d in (("A", A), ("Dm", Dm), ("M", M), ("C", C)):
        names[d.display.info.resource_id_base] = n
    Dm.damage_query_version()
    dinfo = Dm.query_extension("DAMAGE")
    dmg_base = dinfo.first_event
    root = Dm.screen().root
    dmg = root.damage_create(damage.DamageReportRawRectangles)
    Dm.sync()
    ranges = [rng(core_req=(62, 62), events=(dmg_base, dmg_base)),
              rng(core_req=(43, 43)),
              rng(core_req=(127, 127)),
              rng(ext=(dinfo.major_opcode, dinfo.major_opcode, 3, 3)),   # DamageSubtract
              rng(core_req=(8, 8))]
    ctx = C.record_create_context(0, [record.AllClients], ranges)
    C.sync()
    class R0: pass
    Rd = xdisplay.Display(DISP)
    rw = Rd.screen().root.create_window(700, 500, 30, 30, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0xFF0000)
    Rd.sync()
    R = Recorder.__new__(Recorder); R.d = Rd; R.items=[]; R.bytes=0; R.replies=0; R.ctx=ctx
    import threading; R.lock=threading.Lock(); R.th=threading.Thread(target=R._run, daemon=True); R.th.start()
    time.sleep(0.3)
    names[R.d.display.info.resource_id_base] = "R"

    s = A.screen()
    win = s.root.create_window(100, 50, 400, 300, 0, s.root_depth, X.InputOutput, X.CopyFromParent,
                               background_pixel=0xFFFFFF, override_redirect=True)
    gc = win.create_gc(foreground=0x123456, graphics_exposures=False)
    win.map(); A.sync()
    win.fill_rectangle(gc, 10, 10, 50, 50); A.sync()
    lag = []
    def marker(tag):
        t0 = time.monotonic(); M.get_input_focus(); t1 = time.monotonic()
        n0 = len(R.snapshot())
        # wait for the marker record to show up
        for _ in range(2000):
            its = R.snapshot()
            if any(d[0] == 43 and c == record.FromClient for (_, c, b, d) in its[n0 - 1 if n0 else 0:]):
                break
            time.sleep(0.0005)
        lag.append((tag, its[-1][0] - t1 if its else None))
        print(f"marker {tag}: GetInputFocus round trip {1e3*(t1-t0):.2f} ms")
    marker(1)
    win.copy_area(gc, win, 0, 20, 400, 280, 0, 0); A.sync()
    marker(2)
    win.fill_rectangle(gc, 0, 280, 400, 20)       # not recorded, but its damage is
    win.copy_area(gc, win, 0, 20, 400, 280, 0, 0)
    A.flush()
    M.no_operation(); M.flush()                  # races the app: order = server's
    A.sync(); M.sync()
    marker(3)
    Dm.damage_subtract(dmg); Dm.sync()
    marker(4)
    # does AllClients include R (the data connection)? send NoOperation on it
    R.d.display.socket.sendall(struct.pack("<BBHI", 8, 0, 2, rw.id) + struct.pack("<BBH", 127, 0, 1))
    time.sleep(0.1)
    kids = M.screen().root.query_tree().children
    print("root children seen by M:", [(hex(k.id), k.get_attributes().map_state) for k in kids])
    M.no_operation(); M.sync()
    marker(5)
    # lag test: a copy alone, then wait without any other traffic
    t1 = time.monotonic(); n0 = len(R.snapshot())
    win.copy_area(gc, win, 0, 2, 400, 298, 0, 0); A.sync(); t2 = time.monotonic()
    for _ in range(4000):
        if len(R.snapshot()) > n0: break
        time.sleep(0.0002)
    print(f"lone CopyArea: A.sync done after {1e3*(t2-t1):.2f} ms, record reply arrived {1e3*(R.snapshot()[-1][0]-t2):+.2f} ms after that")
    time.sleep(0.1)
    its = R.snapshot()
    t0 = its[0][0]
    for t, who, k, desc in decode(its, dmg_base, names):
        print(f"{1e3*(t-t0):8.2f}ms {who:3} {k:5} {desc}")
    print("record replies:", R.replies, "bytes:", R.bytes)
    print("lags (record arrival after marker reply):", [(a, f"{1e3*b:+.2f}ms") for a, b in lag])
    C.record_disable_context(ctx); C.sync()
finally:
    xv.terminate(); xv.wait()
