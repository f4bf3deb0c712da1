"""Q4: bytes/s of the RECORD stream for scroll and typing; PutImage kept out; copy->damage
pairing; Xvfb CPU with and without recording."""
import sys, struct, subprocess, time, os
sys.path.insert(0, "/tmp/rec")
from reclib import *
from Xlib.ext import record, damage

def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

def run(kind, variant, secs=4.0, putimage=True):
    C = xdisplay.Display(DISP); Dm = xdisplay.Display(DISP)
    Dm.damage_query_version(); di = Dm.query_extension("DAMAGE"); base = di.first_event
    dmg = Dm.screen().root.damage_create(damage.DamageReportRawRectangles); Dm.sync()
    R = None
    if variant != "off":
        ranges = [rng(core_req=(62, 62), events=(base, base))]
        if variant == "wide":   # + window ops, GC ops, all drawing except PutImage
            ranges += [rng(core_req=(1, 13)), rng(core_req=(55, 61)), rng(core_req=(63, 71)),
                       rng(core_req=(74, 77))]
            ranges[0]["client_died"] = True
        ctx = C.record_create_context(0, [record.AllClients], ranges); C.sync()
        R = Recorder(ctx); time.sleep(0.2)
    wl = subprocess.Popen([sys.executable, "/tmp/rec/workload.py", kind, str(secs), "1" if putimage else "0"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    wl.stdout.readline()
    time.sleep(0.2)
    n0 = len(R.snapshot()) if R else 0; b0 = R.bytes if R else 0
    # drain Dm's own events in the meantime (they also pile up on its socket)
    c0 = cpu(xv.pid); t0 = time.monotonic()
    wl.stdin.write("go\n"); wl.stdin.flush()
    while wl.poll() is None:
        while Dm.pending_events(): Dm.next_event()
        time.sleep(0.05)
    el = time.monotonic() - t0; c1 = cpu(xv.pid)
    out = wl.stdout.read().strip()
    while Dm.pending_events(): Dm.next_event()
    line = f"{kind:6} record={variant:5} frames={out.split()[-1]:>4} Xvfb cpu {100*(c1-c0)/el:5.1f}%"
    if R:
        time.sleep(0.2)
        its = R.snapshot()[n0:]; nb = R.bytes - b0
        dec = decode(its, base, {})
        kinds = {}
        for _, _, k, desc in dec:
            key = desc.split()[0]; kinds[key] = kinds.get(key, 0) + 1
        # pairing: every CopyArea followed immediately by one damage box of its size
        paired = bad = 0
        for i, (_, _, k, desc) in enumerate(dec):
            if desc.startswith("CopyArea"):
                nxt = dec[i + 1][3] if i + 1 < len(dec) else ""
                w, h = desc.split()[-1].split("x")
                if nxt.startswith("DamageNotify") and f" {w}x{h})" in nxt and "lvl=0x0" in nxt: paired += 1
                else: bad += 1
        line += f" | {nb/el/1024:6.1f} KiB/s, {len(its)/el:5.0f} replies/s, elements {kinds}, copy->own damage next: {paired} ok {bad} not"
        C.record_disable_context(R.ctx); C.sync()
    print(line, flush=True)
    C.close(); Dm.close()

xv = start_xvfb()
try:
    for kind in ("scroll", "typing"):
        for variant in ("off", "narrow", "wide"):
            run(kind, variant)
finally:
    xv.terminate(); xv.wait()
