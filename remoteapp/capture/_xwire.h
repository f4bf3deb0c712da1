/* What the ``_xwire`` extension's C files share (internal: not a Python API).
 *
 * _xwire.c holds the wire (send, framed reads, a round trip) and the method table,
 * _xread.c the box reads (the ShmGetImage batches), _xboxes.c the few-rectangle
 * coalescing rule, _xtake.c the damage grab that uses them in one call, _xwait.c the
 * sleeps on the event connection, _xkey.c the key lane's wait and grab in one call.
 */
#ifndef REMOTEAPP_XWIRE_H
#define REMOTEAPP_XWIRE_H

#include <Python.h>

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#define XW_HIDDEN __attribute__((visibility("hidden")))
#define PACKET_HEAD 32
#define XW_MAX_FEW 64 /* rectangles the C coalescing takes at most */

/* A 32-bit field of an X packet, in the connection's (this machine's) byte order. */
static inline uint32_t native_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* What went wrong, set without the GIL and raised after it is taken back. */
typedef struct {
    int err;             /* errno, for OSError */
    const char *wire;    /* a wire-level message */
    unsigned char xerr[PACKET_HEAD];
    int has_xerr;
} failure;

/* A box of a frame to read (x, y, w, h), and where its pixels land in the segment. */
typedef struct {
    int x, y, w, h;
    size_t offset;
} box;

XW_HIDDEN int64_t now_ms(void);
XW_HIDDEN int send_all(int fd, const unsigned char *data, size_t len, int64_t deadline,
                       failure *f);
XW_HIDDEN int recv_exact(int fd, unsigned char *buf, size_t len, int64_t deadline,
                         failure *f);
XW_HIDDEN int next_reply(int fd, unsigned char head[PACKET_HEAD], size_t *extra,
                         Py_ssize_t *skipped, int64_t deadline, failure *f);
/* The failure as the exception it raises (an ``Error`` or an OSError), not raised;
 * NULL with an error set if that could not be built. */
XW_HIDDEN PyObject *failure_exception(const failure *f);
XW_HIDDEN PyObject *raise_failure(const failure *f);

/* The frame's stale boxes from a sequence of (x, y, w, h), clipped to the frame and the
 * empty ones dropped: *out PyMem-allocated (free it), *count of them; -1 with an error. */
XW_HIDDEN int parse_stale(PyObject *stale, int width, int height, box **out,
                          Py_ssize_t *count);
/* The frame is width x height BGRA (width, height within X11's 16 bits); front (None:
 * none) another such frame apart from it, its buffer taken into *front (release it when
 * front->obj is set): 0, or -1 with an error set. */
XW_HIDDEN int check_frames(const Py_buffer *frame, int width, int height, PyObject *front_obj,
                           Py_buffer *front);
/* NULL, or a message: why ``b`` cannot be read into a width x height frame at (left,
 * top) on the root through a segment of ``room`` bytes. */
XW_HIDDEN const char *box_problem(const box *b, int width, int height, int left, int top,
                                  size_t room);
/* Without the GIL: copy the stale boxes from front into frame, then read the boxes
 * (checked by box_problem) through the segment into frame; 0, or -1 and *f. */
XW_HIDDEN int read_into(int fd, int shm_major, uint32_t drawable, uint32_t seg,
                        const unsigned char *shm, size_t room, unsigned char *frame,
                        const unsigned char *front, int width, int left, int top, box *boxes,
                        Py_ssize_t n, const box *stale, Py_ssize_t n_stale, int depth,
                        int64_t deadline, Py_ssize_t *skipped, failure *f);

/* damage.coalesce's rule for at most XW_MAX_FEW rectangles (x, y, w, h, already in
 * the frame's coordinates, each |value| <= 2**40; width, height <= 2**20): the pixel
 * boxes into ``out`` (XW_MAX_FEW of them), their count. */
XW_HIDDEN Py_ssize_t coalesce_core(const long long (*rects)[4], Py_ssize_t n,
                                   long long width, long long height, long long tile,
                                   Py_ssize_t max_boxes, double dense, long long (*out)[4]);

/* damage.cut_to_damage's rule: each of the ``m`` boxes ``px`` (coalesce_core's, from
 * the ``n`` rectangles) cut in place to the bounds of the rectangles' parts inside it,
 * in whole pixel pairs; a box at least ``wide_from`` wide in its rows only. */
XW_HIDDEN void cut_core(const long long (*rects)[4], Py_ssize_t n, long long (*px)[4],
                        Py_ssize_t m, long long wide_from);

/* What one sleep (_xwait.c) saw: the wake, and what the event connection held. */
typedef struct {
    int err, woken, closed;
    ssize_t got; /* bytes read from the event connection (-1: none were there) */
    char *buf;   /* PyMem_RawMalloc'ed when got >= 0 */
} Sleep;

/* Sleep until the event connection (-1: none) has bytes, the wake pipe is written to, or
 * ``timeout`` s pass, the GIL released; a wake is drained, what the connection holds
 * read (up to ``size`` bytes).  -1 with a Python error set if a signal handler raised. */
XW_HIDDEN int sleep_once(int event_fd, int wake_fd, double timeout, Py_ssize_t size, Sleep *s);

/* What wait_damage's bytes say: SEEN_DAMAGE | SEEN_MOTION when they are only whole
 * DamageNotify events and XInput 2 raw motions, 0 for anything else. */
enum { SEEN_DAMAGE = 1, SEEN_MOTION = 2 };
XW_HIDDEN int summary(const unsigned char *buf, ssize_t got, Py_ssize_t size, int damage_event,
                      int xi_opcode, int raw_motion);

XW_HIDDEN PyObject *xwire_take_boxes(PyObject *self, PyObject *args); /* _xtake.c */
XW_HIDDEN PyObject *xwire_take_key(PyObject *self, PyObject *args);   /* _xkey.c */

#endif
