/* The record layer's libcrypto work (see _records.h): the nonce, one record sealed or
 * opened, the rekey.  Only OpenSSL's EVP ChaCha20-Poly1305 calls, as ``cryptography``
 * makes them; nothing cryptographic is written here, and no Python object is touched. */
#include "_records.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <string.h>

static void nonce_of(unsigned long long counter, unsigned char nonce[NONCE]) {
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] = (unsigned char)(counter >> (8 * i)); /* little-endian, as Noise */
}

int records_set_key(Direction *self) {
    if (!EVP_EncryptInit_ex(self->enc, EVP_chacha20_poly1305(), NULL, self->key, NULL) ||
        !EVP_DecryptInit_ex(self->dec, EVP_chacha20_poly1305(), NULL, self->key, NULL))
        return -1;
    return 0;
}

/* One record: ``len`` bytes of ``in`` sealed to ``out`` (len + TAG bytes) with ``aad``
 * and ``counter``'s nonce: 0 or -1. */
static int seal_one(EVP_CIPHER_CTX *ctx, unsigned long long counter, const unsigned char *aad,
                    const unsigned char *in, int len, unsigned char *out) {
    unsigned char nonce[NONCE];
    int n = 0, tail = 0;
    nonce_of(counter, nonce);
    if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) ||
        !EVP_EncryptUpdate(ctx, NULL, &n, aad, aad == NULL ? 0 : HEADER))
        return -1;
    if (len > 0 && !EVP_EncryptUpdate(ctx, out, &n, in, len))
        return -1;
    if (!EVP_EncryptFinal_ex(ctx, out + len, &tail) || /* (writes nothing: a stream cipher) */
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG, out + len))
        return -1;
    return 0;
}

/* Noise's REKEY(k): the first 32 bytes of encrypting 32 zero bytes at nonce 2^64-1. */
int records_advance(Direction *self) {
    if (++self->counter < self->rekey_every)
        return 0;
    unsigned char zeros[KEY] = {0}, out[KEY + TAG];
    if (seal_one(self->enc, UINT64_MAX, NULL, zeros, KEY, out) != 0)
        return -1;
    memcpy(self->key, out, KEY);
    OPENSSL_cleanse(out, sizeof out);
    if (!EVP_EncryptInit_ex(self->enc, NULL, NULL, self->key, NULL) ||
        !EVP_DecryptInit_ex(self->dec, NULL, NULL, self->key, NULL))
        return -1;
    self->counter = 0;
    self->epoch++;
    return 0;
}

int records_seal_all(Direction *self, const unsigned char *in, Py_ssize_t len, Py_ssize_t step,
                     unsigned char *out) {
    for (Py_ssize_t start = 0; start < len; start += step) {
        int chunk = (int)(len - start < step ? len - start : step);
        uint32_t length = (uint32_t)chunk + TAG;
        out[0] = (unsigned char)(length >> 24);
        out[1] = (unsigned char)(length >> 16);
        out[2] = (unsigned char)(length >> 8);
        out[3] = (unsigned char)length;
        if (seal_one(self->enc, self->counter, out, in + start, chunk, out + HEADER) != 0)
            return -1;
        out += HEADER + (Py_ssize_t)chunk + TAG;
        if (records_advance(self) != 0)
            return -1;
    }
    return 0;
}

int records_open_one(Direction *self, unsigned long long counter, const unsigned char *aad,
                     const unsigned char *in, int len, unsigned char *out) {
    unsigned char nonce[NONCE];
    int n = 0, tail = 0;
    nonce_of(counter, nonce);
    if (!EVP_DecryptInit_ex(self->dec, NULL, NULL, NULL, nonce) ||
        !EVP_DecryptUpdate(self->dec, NULL, &n, aad, HEADER))
        return -1;
    if (len > 0 && !EVP_DecryptUpdate(self->dec, out, &n, in, len))
        return -1;
    if (!EVP_CIPHER_CTX_ctrl(self->dec, EVP_CTRL_AEAD_SET_TAG, TAG, (void *)(in + len)))
        return -1;
    return EVP_DecryptFinal_ex(self->dec, out + len, &tail) > 0;
}
