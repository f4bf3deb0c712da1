import sys, time, subprocess
sys.argv = ["proto.py", "1", "0"]
src = open("/tmp/rec/proto.py").read().split("xv = start_xvfb()")[0]
exec(src)
xv = start_xvfb()
try:
    cap = Capturer()
    orig = cap.apply
    log = []
    def apply(el):
        if el[0] == "req" and el[1] == cap.qbase and el[2][0] == 143: print("subtract marker; U", int(cap.U.sum()), "raw", int(cap.rawunion.sum()))
        log.append((el[0], el[1] if el[0] != "req" else hex(el[1]), el[2] if el[0] != "req" else (el[2][0], len(el[2]))))
        r = orig(el)
        if r: print("  applied our", r, el[2][0])
        return r
    cap.apply = apply
    cap.take(check=True)
    wl = subprocess.Popen([sys.executable, "/tmp/rec/workload.py", "scroll", "0.1", "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    wl.stdout.readline(); wl.stdin.write("go\n"); wl.stdin.flush(); wl.wait()
    print('take2'); cap.take(); print('take3'); cap.take(check=True)
    for l in log: print(l)
    print(dict(cap.stats))
finally:
    xv.terminate()
