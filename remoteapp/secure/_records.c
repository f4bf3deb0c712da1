/* One direction of the record layer in C: its key, record counter and rekey, sealing and
 * opening records (an optional extension: without it, channel.Channel does the same with
 * ``cryptography``).
 *
 * Why: a typed key's update is one small record, and sealing it through the Python
 * layers (struct, memoryview, the nonce's bytes, cryptography's wrapper) cost about
 * 45 us a key cold on the customer's capture thread; and the native lane
 * (docs/capture.md) needs the send nonce to have one owner that C code can reach.
 * This wraps OpenSSL's libcrypto (EVP ChaCha20-Poly1305, as ``cryptography`` does);
 * nothing cryptographic is written here.  This file is the Python type (arguments, the
 * lock, buffers, errors); the libcrypto calls are in _records_crypto.c (_records.h).
 *
 *     Direction(key: bytes[32], rekey_every: int)
 *       .counter, .epoch          record number in this key, keys so far
 *       .seal(plaintext, max_plaintext) -> bytearray    records; advances per record
 *       .open(header, sealed) -> bytes | None           None: the tag failed (no advance)
 *       .opens_at(counter, header, sealed) -> bool      the diagnosis of a failed record
 *
 * The record layout, the nonce and the rekey are channel.py's (docs/protocol.md).  Each
 * object has a lock: two threads never use one counter at once.  Work on more than
 * RELEASE_AT bytes runs with the GIL released.  If libcrypto fails part-way (a counter
 * advanced, a key half changed), the direction refuses every later call: the session
 * ends, as Channel does on any failure.
 */
#include "_records.h"

#include <openssl/crypto.h>
#include <stddef.h>
#include <string.h>

#define MAX_RECORD (1 << 30) /* plaintext bytes per record: far above channel.py's */
#define RELEASE_AT (16 << 10)

/* An "O&" converter: a Python int in [0, 2^64), else ValueError (never truncated). */
static int to_u64(PyObject *obj, void *out) {
    if (!PyLong_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "an int is needed");
        return 0;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "an int in [0, 2**64) is needed");
        return 0;
    }
    *(unsigned long long *)out = v;
    return 1;
}

static void lock(Direction *self) {
    if (!PyThread_acquire_lock(self->lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock(self->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static void unlock(Direction *self) { PyThread_release_lock(self->lock); }

static int Direction_init(Direction *self, PyObject *args, PyObject *kwds) {
    static char *names[] = {"key", "rekey_every", NULL};
    Py_buffer key;
    unsigned long long rekey_every;
    if (self->lock != NULL) { /* the counter has one life: no second __init__ */
        PyErr_SetString(PyExc_RuntimeError, "a Direction is initialised once");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*O&", names, &key, to_u64, &rekey_every))
        return -1;
    int bad = key.len != KEY;
    if (!bad)
        memcpy(self->key, key.buf, KEY);
    PyBuffer_Release(&key);
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "a key is 32 bytes");
        return -1;
    }
    if (rekey_every == 0 || rekey_every > (1ULL << 62)) {
        PyErr_SetString(PyExc_ValueError, "rekey_every out of range");
        return -1;
    }
    EVP_CIPHER_CTX_free(self->enc); /* (an __init__ that failed before) */
    EVP_CIPHER_CTX_free(self->dec);
    self->enc = EVP_CIPHER_CTX_new();
    self->dec = EVP_CIPHER_CTX_new();
    if (self->enc == NULL || self->dec == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    self->counter = self->epoch = 0;
    self->rekey_every = rekey_every;
    if (records_set_key(self) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "libcrypto refused the ChaCha20-Poly1305 key");
        return -1;
    }
    if ((self->lock = PyThread_allocate_lock()) == NULL) { /* last: it marks the end */
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void Direction_dealloc(Direction *self) {
    OPENSSL_cleanse(self->key, KEY);
    EVP_CIPHER_CTX_free(self->enc);
    EVP_CIPHER_CTX_free(self->dec);
    if (self->lock != NULL)
        PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int ready(Direction *self) {
    if (self->lock == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Direction.__init__ was not called");
        return 0;
    }
    if (self->broken) {
        PyErr_SetString(PyExc_RuntimeError, "libcrypto failed earlier on this direction");
        return 0;
    }
    return 1;
}

/* Take the lock of a direction that is still usable: 1, or 0 (not taken) with an error
 * set.  ``ready`` looked before the call waited for the lock; another thread may have
 * broken the direction meanwhile (a rekey half done). */
static int lock_usable(Direction *self) {
    lock(self);
    if (!self->broken)
        return 1;
    unlock(self);
    PyErr_SetString(PyExc_RuntimeError,
                    "libcrypto failed on this direction while this call waited for it");
    return 0;
}

/* The sealed size of ``len`` bytes in records of ``step``: -1 (exception set) if too big. */
static Py_ssize_t sealed_size(Py_ssize_t len, Py_ssize_t step) {
    Py_ssize_t count = len / step + (len % step != 0);
    if (count > (PY_SSIZE_T_MAX - len) / (HEADER + TAG)) {
        PyErr_SetString(PyExc_OverflowError, "too much to seal");
        return -1;
    }
    return len + count * (HEADER + TAG);
}

/* The records of ``plain`` as a new bytearray, or NULL. */
static PyObject *seal_args(Direction *self, Py_buffer *plain, Py_ssize_t step) {
    if (step <= 0 || step > MAX_RECORD) {
        PyErr_SetString(PyExc_ValueError, "max_plaintext out of range");
        return NULL;
    }
    Py_ssize_t size = sealed_size(plain->len, step);
    if (size < 0)
        return NULL;
    PyObject *out = PyByteArray_FromStringAndSize(NULL, size);
    if (out == NULL)
        return NULL;
    unsigned char *to = (unsigned char *)PyByteArray_AS_STRING(out);
    int failed;
    if (!lock_usable(self)) {
        Py_DECREF(out);
        return NULL;
    }
    if (plain->len > RELEASE_AT) {
        Py_BEGIN_ALLOW_THREADS failed = records_seal_all(self, plain->buf, plain->len, step, to);
        Py_END_ALLOW_THREADS
    } else {
        failed = records_seal_all(self, plain->buf, plain->len, step, to);
    }
    if (failed)
        self->broken = 1;
    unlock(self);
    if (failed) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_RuntimeError, "libcrypto failed to seal a record");
        return NULL;
    }
    return out;
}

static PyObject *Direction_seal(Direction *self, PyObject *args) {
    Py_buffer plain;
    Py_ssize_t step;
    if (!ready(self) || !PyArg_ParseTuple(args, "y*n:seal", &plain, &step))
        return NULL;
    PyObject *out = seal_args(self, &plain, step);
    PyBuffer_Release(&plain);
    return out;
}

/* The parsed arguments of open/opens_at: 0, or -1 with an exception set. */
static int record_args(Py_buffer *header, Py_buffer *sealed) {
    if (header->len != HEADER) {
        PyErr_SetString(PyExc_ValueError, "a record header is 4 bytes");
        return -1;
    }
    if (sealed->len < TAG || sealed->len - TAG > MAX_RECORD) {
        PyErr_SetString(PyExc_ValueError, "a sealed record is its plaintext and a 16-byte tag");
        return -1;
    }
    return 0;
}

static PyObject *Direction_open(Direction *self, PyObject *args) {
    Py_buffer header, sealed;
    if (!ready(self) || !PyArg_ParseTuple(args, "y*y*:open", &header, &sealed))
        return NULL;
    PyObject *out = NULL;
    if (record_args(&header, &sealed) != 0)
        goto end;
    int len = (int)(sealed.len - TAG), ok;
    out = PyBytes_FromStringAndSize(NULL, len);
    if (out == NULL)
        goto end;
    unsigned char *to = (unsigned char *)PyBytes_AS_STRING(out);
    if (!lock_usable(self)) {
        Py_CLEAR(out);
        goto end;
    }
    if (len > RELEASE_AT) {
        Py_BEGIN_ALLOW_THREADS
        ok = records_open_one(self, self->counter, header.buf, sealed.buf, len, to);
        Py_END_ALLOW_THREADS
    } else {
        ok = records_open_one(self, self->counter, header.buf, sealed.buf, len, to);
    }
    if (ok == 1 && records_advance(self) != 0)
        ok = -1;
    if (ok < 0)
        self->broken = 1;
    unlock(self);
    if (ok != 1) {
        OPENSSL_cleanse(to, (size_t)len); /* (unauthenticated plaintext) */
        Py_CLEAR(out);
        if (ok == 0)
            out = Py_NewRef(Py_None);
        else
            PyErr_SetString(PyExc_RuntimeError, "libcrypto failed to open a record");
    }
end:
    PyBuffer_Release(&header);
    PyBuffer_Release(&sealed);
    return out;
}

static PyObject *Direction_opens_at(Direction *self, PyObject *args) {
    unsigned long long counter;
    Py_buffer header, sealed;
    if (!ready(self) || !PyArg_ParseTuple(args, "O&y*y*:opens_at", to_u64, &counter, &header, &sealed))
        return NULL;
    PyObject *out = NULL;
    if (record_args(&header, &sealed) != 0)
        goto end;
    int len = (int)(sealed.len - TAG), ok;
    unsigned char *scratch = PyMem_Malloc(len > 0 ? (size_t)len : 1);
    if (scratch == NULL) {
        PyErr_NoMemory();
        goto end;
    }
    if (!lock_usable(self)) {
        PyMem_Free(scratch);
        goto end;
    }
    ok = records_open_one(self, counter, header.buf, sealed.buf, len, scratch);
    if (ok < 0)
        self->broken = 1;
    unlock(self);
    OPENSSL_cleanse(scratch, len > 0 ? (size_t)len : 1);
    PyMem_Free(scratch);
    if (ok < 0)
        PyErr_SetString(PyExc_RuntimeError, "libcrypto failed to open a record");
    else
        out = PyBool_FromLong(ok);
end:
    PyBuffer_Release(&header);
    PyBuffer_Release(&sealed);
    return out;
}

/* ``counter`` or ``epoch`` (the field's offset is the closure), read under the lock:
 * another thread may be sealing with the GIL released. */
static PyObject *Direction_field(Direction *self, void *offset) {
    if (self->lock == NULL)
        return PyLong_FromLong(0);
    lock(self);
    unsigned long long value = *(unsigned long long *)((char *)self + (size_t)offset);
    unlock(self);
    return PyLong_FromUnsignedLongLong(value);
}

static PyMethodDef Direction_methods[] = {
    {"seal", (PyCFunction)Direction_seal, METH_VARARGS,
     "seal(plaintext, max_plaintext) -> bytearray: the records, advancing per record."},
    {"open", (PyCFunction)Direction_open, METH_VARARGS,
     "open(header, sealed) -> bytes | None: the record's plaintext (advancing), or None "
     "if its tag fails."},
    {"opens_at", (PyCFunction)Direction_opens_at, METH_VARARGS,
     "opens_at(counter, header, sealed) -> bool: whether the record opens at that record "
     "number of the current key (the diagnosis of a failure)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Direction_getset[] = {
    {"counter", (getter)Direction_field, NULL, "records sealed or opened in this key",
     (void *)offsetof(Direction, counter)},
    {"epoch", (getter)Direction_field, NULL, "keys before this one (rekeys)",
     (void *)offsetof(Direction, epoch)},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject DirectionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "remoteapp.secure._records.Direction",
    .tp_basicsize = sizeof(Direction),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One direction's key, record counter and rekey (see the module).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Direction_init,
    .tp_dealloc = (destructor)Direction_dealloc,
    .tp_methods = Direction_methods,
    .tp_getset = Direction_getset,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_records",
    "One direction of the record layer (key, counter, rekey) in C (see channel).", -1, NULL,
};

PyMODINIT_FUNC PyInit__records(void) {
    if (PyType_Ready(&DirectionType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Direction", (PyObject *)&DirectionType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
