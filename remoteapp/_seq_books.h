/* What the C books of a session's updates share (static: included by net/_inflight.c and
 * codec/_senttimes.c): the lock each call takes, and the u32 seq the wire carries. */
#ifndef REMOTEAPP_SEQ_BOOKS_H
#define REMOTEAPP_SEQ_BOOKS_H

#include <stdint.h>

/* Take ``lock`` from a thread that holds the GIL: at once if it is free, else with the
 * GIL let go while it waits (the holder may be a thread that needs the GIL to finish:
 * Python's own, or the lane's).  Only the ``*_locked`` functions run without the GIL; a
 * caller without it (the lane) takes the raw lock itself, with PyThread_acquire_lock. */
static void books_lock(PyThread_type_lock lock) {
    if (!PyThread_acquire_lock(lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock(lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

/* ``args`` holds ``n`` arguments, else TypeError (CPython's own words for a METH_VARARGS
 * call's count).  Checked before ``ready``: a wrong count is a TypeError whatever the
 * object's state, as Python's own calls bind their arguments before the body runs (and
 * as METH_O and METH_NOARGS calls are refused), so the Python books answer the same. */
static int books_arity(PyObject *args, const char *name, Py_ssize_t n) {
    Py_ssize_t given = PyTuple_GET_SIZE(args);
    if (given == n)
        return 1;
    PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", name, n, given);
    return 0;
}

/* An "O&" converter: a Python int in [0, 2^32), else ValueError (never truncated). */
static int books_seq(PyObject *obj, void *out) {
    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "a seq is an int");
        return 0;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if ((v == (unsigned long long)-1 && PyErr_Occurred()) || v > UINT32_MAX) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "a seq is an int in [0, 2**32)");
        return 0;
    }
    *(uint32_t *)out = (uint32_t)v;
    return 1;
}

#endif
