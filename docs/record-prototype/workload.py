"""Stand-in for the bench workloads (own process): scroll (50/s) or typing (8 keys/s),
optionally a 200x200 PutImage every 0.5 s."""
import sys, time, random
from Xlib import X, display as xdisplay
name, secs, putimage = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
LINE_H = 14
d = xdisplay.Display(":77"); s = d.screen(); root = s.root
wx, wy, ww, wh = (20, 20, 1240, 760) if name == "scroll" else (300, 200, 900, 520)
win = root.create_window(wx, wy, ww, wh, 0, s.root_depth, X.InputOutput, X.CopyFromParent,
                         background_pixel=0xFFFFFF, override_redirect=True)
font = d.open_font("fixed")
ink = win.create_gc(foreground=0x202020, background=0xFFFFFF, font=font)
paper = win.create_gc(foreground=0xFFFFFF, graphics_exposures=False)
win.map(); d.sync()
rng = random.Random(5)
def line(k):
    r = random.Random(k); return bytes(r.choice(b"abcdefgh ") for _ in range(200))
def paint(y0, y1, base):
    win.fill_rectangle(paper, 0, y0, ww, y1 - y0)
    for k in range(max(0, (y0 - 30) // LINE_H), (y1 - 30) // LINE_H + 2):
        win.image_text(ink, 6, 30 + k * LINE_H + 11, line(k + base))
paint(0, wh, 0); d.sync()
print("ready", flush=True); sys.stdin.readline()
col = row = n = 0
period = 1 / (50 if name == "scroll" else 8)
t_end = time.monotonic() + secs; nxt = time.monotonic(); last_put = 0
img = bytes(200 * 200 * 4)
while time.monotonic() < t_end:
    n += 1
    if name == "scroll":
        step = 2 * LINE_H
        win.copy_area(paper, win, 0, step, ww, wh - step, 0, 0)
        paint(wh - step, wh, n * 2)
    else:
        ch = rng.choice(b"abcdefghijklmnopqrstuvwxyz  ,.")
        x, y = 6 + col * 6, 30 + row * LINE_H
        win.image_text(ink, x, y + 11, bytes([ch])); col = (col + 1) % 140
        win.fill_rectangle(ink, 6 + col * 6, 30 + row * LINE_H + 12, 6, 2)
        win.fill_rectangle(paper, x, y + 12, 6, 2)
    if putimage and time.monotonic() - last_put > 0.5:
        win.put_image(paper, 500, 100, 200, 200, X.ZPixmap, 24, 0, img); last_put = time.monotonic()
    d.flush()
    nxt += period
    time.sleep(max(0, nxt - time.monotonic()))
d.sync(); print("done", n, flush=True)
