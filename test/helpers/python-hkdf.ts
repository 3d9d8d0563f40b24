/** Python (stdlib only) HKDF-SHA256 (RFC 5869, written out with hmac) and the SHA-256 word stream of src/inr/permutation.ts: an independent reference for key-derived secrets. */
export const PYTHON_KEY_WORDS = String.raw`
import hashlib, hmac, json, struct, sys

def hkdf_sha256(ikm, salt, info, length):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]

def words(seed):
    j = 0
    while True:
        block = hashlib.sha256(seed + struct.pack(">I", j)).digest()
        for k in range(0, 32, 4):
            yield struct.unpack(">I", block[k:k + 4])[0]
        j += 1

`;
