/* A fault-injection shim for the tests (LD_PRELOAD): libraries we do not own made to fail
 * on cue, and the moment an extension starts waiting for one of its locks made visible.
 *
 * The test process arms it through ctypes (``fail_next``, ``tell_next_wait``); each
 * arming fires once.  ``fail_next(which, signal_fd, go_fd)``: the next call of that
 * library function writes one byte to ``signal_fd``, reads one from ``go_fd`` (the test
 * says when), and fails.  ``tell_next_wait(fd)``: the next PyThread_acquire_lock that
 * waits (an extension's own lock, called through the PLT) writes one byte to ``fd``
 * first.  Everything else goes to the real functions.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

enum { ZSTD_STREAM = 1, EVP_ENCRYPT = 2 };

/* The real function: the extensions load their libraries locally (RTLD_NEXT does not see
 * them), so it is looked up in the library itself, already loaded by then. */
static void *real_of(const char *library, const char *name) {
    void *found = dlsym(RTLD_NEXT, name), *handle;
    if (found == NULL && (handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD)) != NULL)
        found = dlsym(handle, name);
    if (found == NULL)
        abort();
    return found;
}

static volatile int fail_which, fail_signal = -1, fail_go = -1, wait_fd = -1;

void fail_next(int which, int signal_fd, int go_fd) {
    fail_signal = signal_fd;
    fail_go = go_fd;
    __atomic_store_n(&fail_which, which, __ATOMIC_SEQ_CST);
}

void tell_next_wait(int fd) { __atomic_store_n(&wait_fd, fd, __ATOMIC_SEQ_CST); }

/* 1 if this call is the armed failure (then it has signalled and been told to go). */
static int fails(int which) {
    int expected = which;
    if (!__atomic_compare_exchange_n(&fail_which, &expected, 0, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        return 0;
    char byte = (char)which;
    if (write(fail_signal, &byte, 1) != 1 || read(fail_go, &byte, 1) != 1)
        return 1; /* (the test went away: fail all the same) */
    return 1;
}

typedef size_t (*zstd_fn)(void *, void *, void *, int);
size_t ZSTD_compressStream2(void *cctx, void *output, void *input, int end) {
    if (fails(ZSTD_STREAM))
        return (size_t)-1; /* ZSTD_error_GENERIC */
    static zstd_fn real;
    if (real == NULL)
        real = (zstd_fn)real_of("libzstd.so.1", "ZSTD_compressStream2");
    return real(cctx, output, input, end);
}

typedef int (*evp_fn)(void *, unsigned char *, int *, const unsigned char *, int);
int EVP_EncryptUpdate(void *ctx, unsigned char *out, int *outl, const unsigned char *in,
                      int inl) {
    if (fails(EVP_ENCRYPT))
        return 0;
    static evp_fn real;
    if (real == NULL)
        real = (evp_fn)real_of("libcrypto.so.3", "EVP_EncryptUpdate");
    return real(ctx, out, outl, in, inl);
}

typedef int (*acquire_fn)(void *, int);
int PyThread_acquire_lock(void *lock, int waitflag) {
    static acquire_fn real;
    if (real == NULL)
        real = (acquire_fn)real_of("libpython3.so", "PyThread_acquire_lock");
    if (waitflag) {
        int fd = __atomic_exchange_n(&wait_fd, -1, __ATOMIC_SEQ_CST);
        if (fd >= 0) {
            char byte = 'w';
            (void)!write(fd, &byte, 1);
        }
    }
    return real(lock, waitflag);
}
