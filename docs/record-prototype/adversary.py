"""Maps/unmaps/moves a small window over parts of the scroll window every 0.25 s."""
import sys, time
from Xlib import X, display as xdisplay
d = xdisplay.Display(":77"); root = d.screen().root
w = root.create_window(0, 0, 300, 40, 0, 24, X.InputOutput, X.CopyFromParent, background_pixel=0xFF00FF,
                       override_redirect=True)
spots = [(400, 745), (200, 400), (900, 760), None, (20, 20)]   # bottom strip (source only), middle, ...
print("ready", flush=True); sys.stdin.readline()
t_end = time.monotonic() + float(sys.argv[1]); i = 0
while time.monotonic() < t_end:
    s = spots[i % len(spots)]; i += 1
    if s is None:
        w.unmap()
    else:
        w.configure(x=s[0], y=s[1]); w.map()
    d.flush(); time.sleep(0.25)
w.unmap(); d.sync()
