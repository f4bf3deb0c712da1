/* The record layer's Direction and the libcrypto work on it (_records_crypto.c), which
 * touches no Python object and may run with the GIL released; _records.c is the Python
 * type around it: arguments, the lock, buffers and errors.  See _records.c. */
#ifndef REMOTEAPP_RECORDS_H
#define REMOTEAPP_RECORDS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <openssl/evp.h>

#define KEY 32
#define TAG 16
#define HEADER 4
#define NONCE 12

/* (shared between the two sources, not exported from the extension) */
#define RECORDS_HIDDEN __attribute__((visibility("hidden")))

typedef struct {
    PyObject_HEAD
    unsigned char key[KEY];
    EVP_CIPHER_CTX *enc;
    EVP_CIPHER_CTX *dec;
    unsigned long long counter;
    unsigned long long epoch;
    unsigned long long rekey_every;
    int broken; /* libcrypto failed part-way */
    PyThread_type_lock lock;
} Direction;

/* None of these sets a Python exception (the GIL may be released): -1 means libcrypto
 * failed, and the caller raises.  All but set_key run under the direction's lock. */

/* Both contexts keyed with self->key: 0 or -1. */
RECORDS_HIDDEN int records_set_key(Direction *self);

/* Count one record; at rekey_every, Noise's REKEY and a new epoch: 0 or -1. */
RECORDS_HIDDEN int records_advance(Direction *self);

/* Seal ``in`` into ``out`` in records of ``step`` (each: a 4-byte big-endian length,
 * the ciphertext, the tag), advancing per record: 0 or -1. */
RECORDS_HIDDEN int records_seal_all(Direction *self, const unsigned char *in, Py_ssize_t len,
                                    Py_ssize_t step, unsigned char *out);

/* Open one record at ``counter``: 1 (plaintext in ``out``), 0 (the tag failed), -1. */
RECORDS_HIDDEN int records_open_one(Direction *self, unsigned long long counter,
                                    const unsigned char *aad, const unsigned char *in, int len,
                                    unsigned char *out);

#endif
