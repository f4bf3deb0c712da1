/* Rate control's books of screen updates sent and not acked yet, in C (an optional
 * extension: without it, sent_times.PySentTimes keeps the same books in Python).
 *
 * Why: rate control times each update from when it was sent to its ack, less what it
 * waited on this side (its lag).  Three threads write these books: the capture thread
 * (sent), the thread that writes the update (its lag), the reader thread (the ack pops
 * them).  The native lane (docs/capture.md, "Next: the native lane", step 4) will send a
 * typed key's update with the GIL released, so the books need an owner C code can reach
 * and a lock of their own; Python's threads go through the same object.
 *
 *     SentTimes(capacity: int)
 *       .sent(seq, nbytes, at)       booked (a seq already in: its entry, where it is;
 *                                    full: the oldest goes)
 *       .local(seq, lag)             seq waited lag s here (max(0, lag)); from now on
 *                                    ``reporting`` is True, found or not
 *       .reporting -> bool
 *       .ack(seq) -> list[(nbytes, at, lag | None)] | None
 *                                    every entry up to seq popped (cumulative), seq's
 *                                    last; None (nothing popped) if seq is not booked
 *       .oldest() -> (at, lag | None) | None
 *       .entries() -> list[(seq, nbytes, at, lag | None)]    oldest first
 *       len(times)
 *
 * A seq is a u32 (the wire's).  Each call takes the object's lock; none waits on
 * anything else.  A lag not known yet is kept as -1 (a known one is never below 0).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>

#include "../_seq_books.h"

#define MAX_CAPACITY 1024 /* far above rate_control's MAX_OUTSTANDING: a bound on the ring */

typedef struct {
    uint32_t seq;
    long long nbytes;
    double at, lag; /* lag < 0: not known yet */
} Entry;

typedef struct {
    PyObject_HEAD
    Entry *ring; /* ring[(head + i) % cap], i < count */
    long cap, head, count;
    int reporting;
    PyThread_type_lock lock; /* last: the lane's stand-in in the tests takes it there */
} SentTimes;

_Static_assert(offsetof(SentTimes, lock) + sizeof(PyThread_type_lock) == sizeof(SentTimes),
               "the lock is the last field (tests/codec/test_sent_times_contention.py)");

static void unlock(SentTimes *self) { PyThread_release_lock(self->lock); }

/* The position (0 = oldest) of ``seq``, or -1.  Lock held. */
static long find_locked(const SentTimes *self, uint32_t seq) {
    for (long i = 0; i < self->count; i++)
        if (self->ring[(self->head + i) % self->cap].seq == seq)
            return i;
    return -1;
}

static Entry *at_locked(SentTimes *self, long i) {
    return &self->ring[(self->head + i) % self->cap];
}

/* Book ``seq`` (no Python: the lane calls it without the GIL, the raw lock taken).  Lock held. */
static void sent_locked(SentTimes *self, uint32_t seq, long long nbytes, double at) {
    long i = find_locked(self, seq);
    if (i < 0) {
        if (self->count == self->cap) { /* the oldest goes */
            self->head = (self->head + 1) % self->cap;
            self->count--;
        }
        i = self->count++;
        at_locked(self, i)->lag = -1.0;
    }
    Entry *e = at_locked(self, i);
    e->seq = seq;
    e->nbytes = nbytes;
    e->at = at;
}

/* ``seq`` waited ``lag`` here.  Lock held. */
static void local_locked(SentTimes *self, uint32_t seq, double lag) {
    self->reporting = 1;
    long i = find_locked(self, seq);
    if (i >= 0)
        at_locked(self, i)->lag = lag > 0.0 ? lag : 0.0; /* (NaN: 0, as Python's max) */
}

static int ready(SentTimes *self) {
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SentTimes.__init__ was not called");
        return 0;
    }
    return 1;
}

static PyObject *lag_or_none(double lag) {
    return lag < 0.0 ? Py_NewRef(Py_None) : PyFloat_FromDouble(lag);
}

/* A list of ``n`` entries copied out (built without the lock: building runs Python,
 * which may switch threads); ``with_seq``: (seq, nbytes, at, lag), else (nbytes, at, lag). */
static PyObject *entry_list(const Entry *entries, long n, int with_seq) {
    PyObject *out = PyList_New(n);
    for (long i = 0; out != NULL && i < n; i++) {
        const Entry *e = &entries[i];
        PyObject *lag = lag_or_none(e->lag);
        PyObject *item = lag == NULL ? NULL
                         : with_seq  ? Py_BuildValue("(kLdN)", (unsigned long)e->seq, e->nbytes,
                                                     e->at, lag)
                                     : Py_BuildValue("(LdN)", e->nbytes, e->at, lag);
        if (item == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, item);
    }
    return out;
}

static int SentTimes_init(SentTimes *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"capacity", NULL};
    long cap;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "l", names, &cap))
        return -1;
    if (self->lock != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "SentTimes.__init__ was called already");
        return -1;
    }
    if (cap < 1 || cap > MAX_CAPACITY) {
        PyErr_Format(PyExc_ValueError, "capacity in [1, %d] is needed", MAX_CAPACITY);
        return -1;
    }
    PyMem_Free(self->ring); /* (an earlier __init__ that failed part-way) */
    self->ring = PyMem_Calloc((size_t)cap, sizeof *self->ring);
    if (self->ring == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->lock = PyThread_allocate_lock();
    if (self->lock == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->cap = cap;
    return 0;
}

static void SentTimes_dealloc(SentTimes *self) {
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    PyMem_Free(self->ring);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *SentTimes_sent(SentTimes *self, PyObject *args) {
    uint32_t seq;
    long long nbytes;
    double at;
    if (!books_arity(args, "sent", 3) || !ready(self) ||
        !PyArg_ParseTuple(args, "O&Ld:sent", books_seq, &seq, &nbytes, &at))
        return NULL;
    if (nbytes < 0) {
        PyErr_SetString(PyExc_ValueError, "nbytes is not negative");
        return NULL;
    }
    books_lock(self->lock);
    sent_locked(self, seq, nbytes, at);
    unlock(self);
    Py_RETURN_NONE;
}

static PyObject *SentTimes_local(SentTimes *self, PyObject *args) {
    uint32_t seq;
    double lag;
    if (!books_arity(args, "local", 2) || !ready(self) ||
        !PyArg_ParseTuple(args, "O&d:local", books_seq, &seq, &lag))
        return NULL;
    books_lock(self->lock);
    local_locked(self, seq, lag);
    unlock(self);
    Py_RETURN_NONE;
}

static PyObject *SentTimes_ack(SentTimes *self, PyObject *arg) {
    uint32_t seq;
    if (!ready(self) || !books_seq(arg, &seq))
        return NULL;
    Entry popped[MAX_CAPACITY];
    books_lock(self->lock);
    long found = find_locked(self, seq);
    for (long i = 0; i <= found; i++)
        popped[i] = *at_locked(self, i);
    if (found >= 0) {
        self->head = (self->head + found + 1) % self->cap;
        self->count -= found + 1;
    }
    unlock(self);
    if (found < 0)
        Py_RETURN_NONE;
    return entry_list(popped, found + 1, 0);
}

static PyObject *SentTimes_oldest(SentTimes *self, PyObject *unused) {
    if (!ready(self))
        return NULL;
    books_lock(self->lock);
    int any = self->count > 0;
    Entry oldest = any ? *at_locked(self, 0) : (Entry){0};
    unlock(self);
    if (!any)
        Py_RETURN_NONE;
    PyObject *lag = lag_or_none(oldest.lag);
    return lag == NULL ? NULL : Py_BuildValue("(dN)", oldest.at, lag);
}

static PyObject *SentTimes_entries(SentTimes *self, PyObject *unused) {
    if (!ready(self))
        return NULL;
    Entry copy[MAX_CAPACITY];
    books_lock(self->lock);
    long n = self->count;
    for (long i = 0; i < n; i++)
        copy[i] = *at_locked(self, i);
    unlock(self);
    return entry_list(copy, n, 1);
}

static PyObject *SentTimes_reporting(SentTimes *self, void *unused) {
    if (!ready(self))
        return NULL;
    books_lock(self->lock);
    int reporting = self->reporting;
    unlock(self);
    return PyBool_FromLong(reporting);
}

static Py_ssize_t SentTimes_len(SentTimes *self) {
    if (!ready(self))
        return -1;
    books_lock(self->lock);
    long n = self->count;
    unlock(self);
    return n;
}

static PyMethodDef SentTimes_methods[] = {
    {"sent", (PyCFunction)SentTimes_sent, METH_VARARGS,
     "sent(seq, nbytes, at): booked (the oldest goes when full)."},
    {"local", (PyCFunction)SentTimes_local, METH_VARARGS,
     "local(seq, lag): seq waited lag s on this side before its bytes went out."},
    {"ack", (PyCFunction)SentTimes_ack, METH_O,
     "ack(seq) -> list of (nbytes, at, lag or None) up to seq, seq's last; None if not "
     "booked."},
    {"oldest", (PyCFunction)SentTimes_oldest, METH_NOARGS,
     "oldest() -> (at, lag or None) of the oldest entry, or None."},
    {"entries", (PyCFunction)SentTimes_entries, METH_NOARGS,
     "entries() -> list of (seq, nbytes, at, lag or None), oldest first."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef SentTimes_getset[] = {
    {"reporting", (getter)SentTimes_reporting, NULL, "local() was called (ever)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods SentTimes_sequence = {.sq_length = (lenfunc)SentTimes_len};

static PyTypeObject SentTimesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remoteapp.codec._senttimes.SentTimes",
    .tp_basicsize = sizeof(SentTimes),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rate control's books of updates sent and not acked yet (see the module).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)SentTimes_init,
    .tp_dealloc = (destructor)SentTimes_dealloc,
    .tp_methods = SentTimes_methods,
    .tp_getset = SentTimes_getset,
    .tp_as_sequence = &SentTimes_sequence,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_senttimes",
    "Rate control's books of updates sent and not acked yet, in C (see sent_times).", -1,
    NULL,
};

PyMODINIT_FUNC PyInit__senttimes(void) {
    if (PyType_Ready(&SentTimesType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "SentTimes", (PyObject *)&SentTimesType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
