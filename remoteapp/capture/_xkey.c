/* The key lane's wait and grab in one C call, part of the ``_xwire`` extension (its
 * method table is in _xwire.c; built together by setup.py).
 *
 * Why: a typed key in the lane (capture.key_grabs) was three C calls (wait_damage, the
 * pacing gap's wait when keys come fast, take_boxes) with some 50 Python lines around
 * them: the wait's answer read, the gap worked out, the damage fetch's arguments, its
 * result.  This is the same work in one entry into C, the first part of the lane's loop
 * in C (docs/capture.md, "Next: the native lane", step 4):
 *
 *     take_key((event_fd, wake_fd, damage_event, xi_opcode, raw_motion), size, pending,
 *              timeout, due_at, (started, last_input, active_gap, calm_gap, active_for),
 *              take)
 *         -> (TOOK, now, take_boxes(*take)'s result)
 *         -> (WAITED, woken, seen, data)  the wait (up to ``timeout`` s) ended with other
 *                                         than damage alone: wait_damage's answer, for
 *                                         the Python to hand back or wait again
 *         -> (GAP_WOKEN, now)             damage seen, a wake in the pacing gap's wait
 *         -> (HAND_BACK, now)             damage seen and the gap over, but the safety
 *                                         check is due (``due_at``) or ``take`` is None
 *         -> (TAKE_FAILED, now, exc)      take_boxes raised ``exc`` (not raised here, so
 *                                         the caller maps it as XLink.take_boxes does)
 *
 * ``pending``: damage was seen already (the caller kept on through a wake), so only the
 * gap is waited.  The gap is Pace.gap's rule: the grab starts at least ``active_gap`` s
 * after ``started`` if the agent's last input is less than ``active_for`` s old, else
 * ``calm_gap`` s.  Times are CLOCK_MONOTONIC seconds, Python's time.monotonic().  A wait's
 * failure raises OSError, as wait_damage's; nothing is read then.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <time.h>

#include "_xwire.h"

enum { TOOK, WAITED, GAP_WOKEN, HAND_BACK, TAKE_FAILED };

static double mono_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static PyObject *os_error(int err) {
    errno = err;
    return PyErr_SetFromErrno(PyExc_OSError);
}

/* The raised exception, taken off the thread's state (normalized). */
static PyObject *taken_exception(void) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyErr_GetRaisedException();
#else
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != NULL && tb != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
#endif
}

/* The wait for damage: *answer NULL and *failed 0 to go on (damage alone was seen),
 * *answer set to return it, or *failed 1 with an error set. */
static void wait_for_damage(int event_fd, int wake_fd, int damage_event, int xi_opcode,
                            int raw_motion, Py_ssize_t size, double timeout,
                            PyObject **answer, int *failed) {
    Sleep s;
    *answer = NULL;
    *failed = 0;
    if (sleep_once(event_fd, wake_fd, timeout, size, &s) < 0) {
        *failed = 1;
        return;
    }
    if (s.err) {
        PyMem_RawFree(s.buf);
        os_error(s.err);
        *failed = 1;
        return;
    }
    int seen = s.closed ? 0
                        : summary((const unsigned char *)s.buf, s.got, size, damage_event,
                                  xi_opcode, raw_motion);
    if (seen == SEEN_DAMAGE && !s.woken) {
        PyMem_RawFree(s.buf);
        return;
    }
    PyObject *woken = s.woken ? Py_True : Py_False;
    if (seen || (s.got < 0 && !s.closed)) {
        *answer = Py_BuildValue("(iOiO)", WAITED, woken, seen, Py_None);
    } else {
        PyObject *bytes = PyBytes_FromStringAndSize(s.buf, s.closed ? 0 : s.got);
        *answer = bytes == NULL ? NULL : Py_BuildValue("(iOiN)", WAITED, woken, 0, bytes);
    }
    PyMem_RawFree(s.buf);
    if (*answer == NULL)
        *failed = 1;
}

XW_HIDDEN PyObject *xwire_take_key(PyObject *self, PyObject *args) {
    int event_fd, wake_fd, damage_event, xi_opcode, raw_motion, pending;
    Py_ssize_t size;
    double timeout, due_at, started, last_input, active_gap, calm_gap, active_for;
    PyObject *take;
    if (!PyArg_ParseTuple(args, "(iiiii)npdd(ddddd)O:take_key", &event_fd, &wake_fd,
                          &damage_event, &xi_opcode, &raw_motion, &size, &pending, &timeout,
                          &due_at, &started, &last_input, &active_gap, &calm_gap, &active_for,
                          &take))
        return NULL;
    if (wake_fd < 0 || size <= 0 || size > (64 << 20) || !(timeout >= 0)) {
        PyErr_SetString(PyExc_ValueError, "take_key: bad descriptor, size or timeout");
        return NULL;
    }
    if (take != Py_None && !PyTuple_Check(take)) {
        PyErr_SetString(PyExc_TypeError, "take_key: take is take_boxes' arguments or None");
        return NULL;
    }
    if (!pending) {
        PyObject *answer;
        int failed;
        wait_for_damage(event_fd, wake_fd, damage_event, xi_opcode, raw_motion, size, timeout,
                        &answer, &failed);
        if (failed || answer != NULL)
            return answer;
    }
    double now = mono_now();
    for (;;) { /* the pacing gap: a fast typist's next key waits it out */
        double gap = now - last_input < active_for ? active_gap : calm_gap;
        if (!(now < started + gap))
            break;
        Sleep s;
        if (sleep_once(-1, wake_fd, started + gap - now, size, &s) < 0)
            return NULL;
        PyMem_RawFree(s.buf);
        if (s.err)
            return os_error(s.err);
        now = mono_now();
        if (s.woken)
            return Py_BuildValue("(id)", GAP_WOKEN, now);
    }
    if (now >= due_at || take == Py_None)
        return Py_BuildValue("(id)", HAND_BACK, now);
    PyObject *got = xwire_take_boxes(self, take);
    if (got != NULL)
        return Py_BuildValue("(idN)", TOOK, now, got);
    PyObject *exc = taken_exception();
    return exc == NULL ? NULL : Py_BuildValue("(idN)", TAKE_FAILED, now, exc);
}
