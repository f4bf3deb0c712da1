/* Named tuples made from C (static: included by the capture's and the codec's C files
 * that hand back Rects): the check that a class is one, and one made of four ints. */
#ifndef REMOTEAPP_NAMED_TUPLE_H
#define REMOTEAPP_NAMED_TUPLE_H

/* The deallocator every class made by a Python class statement has (the interpreter's
 * subtype_dealloc, not exported: read off such a class once), or NULL with an error. */
static destructor python_class_dealloc(void) {
    static destructor found = NULL;
    if (found == NULL) {
        PyObject *probe = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O){}", "_probe",
                                                (PyObject *)&PyTuple_Type);
        if (probe == NULL)
            return NULL;
        found = ((PyTypeObject *)probe)->tp_dealloc;
        Py_DECREF(probe);
    }
    return found;
}

/* 0 if ``obj`` is a class made in Python on tuple, with tuple's layout (a named tuple:
 * no instance dict, no slots), each class down to tuple; else -1 with an error set (a
 * TypeError naming ``who``).  tuple.__new__ called directly (named_tuple_of) skips the
 * check Python's own call makes, so a C subclass with fields of its own
 * (os.stat_result) must not pass. */
static int named_tuple_type(PyObject *obj, const char *who) {
    destructor python_made = python_class_dealloc();
    if (python_made == NULL)
        return -1;
    int named = PyType_Check(obj) && obj != (PyObject *)&PyTuple_Type;
    for (PyTypeObject *t = (PyTypeObject *)obj; named && t != &PyTuple_Type; t = t->tp_base)
        named = t != NULL && (t->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
                t->tp_dealloc == python_made && t->tp_basicsize == PyTuple_Type.tp_basicsize &&
                t->tp_itemsize == PyTuple_Type.tp_itemsize;
    if (named)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s: rect_type is not a named tuple", who);
    return -1;
}

/* A ``type`` (checked by named_tuple_type) of four ints, made by tuple.__new__ itself
 * (which sets up what a tuple needs, its hash cache included): no Python runs, where
 * the named tuple's own __new__ is Python. */
static PyObject *named_tuple_of(PyTypeObject *type, long long a, long long b, long long c,
                                long long d) {
    PyObject *plain = Py_BuildValue("(LLLL)", a, b, c, d);
    PyObject *args = plain == NULL ? NULL : PyTuple_Pack(1, plain);
    Py_XDECREF(plain);
    if (args == NULL)
        return NULL;
    PyObject *t = PyTuple_Type.tp_new(type, args, NULL);
    Py_DECREF(args);
    return t;
}

#endif
