# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, binding=False, embedsignature=True, embedsignature.format=clinic
"""Operation-ID generation, compiled twin of ``lambda_durable._ids_py`` (same interface, results).

``operation_id(prefix, n)`` is the first 64 characters of the lowercase hex BLAKE2b digest (default
64-byte digest, unkeyed) of the UTF-8 string ``"<prefix>-<n>"``, or of ``"<n>"`` when ``prefix`` is
``None`` (protocol.md section 4.1).

BLAKE2b is implemented here from RFC 7693 on C integers instead of going through ``hashlib``: the
key goes straight into the hash state (the prefix's UTF-8 bytes, ``'-'``, the decimal digits of
``n`` written into a C buffer), is hashed without any Python object, and the hex is written into a
fresh 64-character ASCII ``str``. Inputs outside that fast path (a ``prefix`` that is not exactly
``str``, an ``n`` that is not exactly ``int`` or does not fit a signed 64-bit integer) build the
key exactly as the pure twin does (``str(n)`` / ``f"{prefix}-{n}"``, then ``.encode()``) and hash
it with the same C BLAKE2b, so the twins agree on every input, including negative and arbitrarily
large counters.
"""
from libc.stdint cimport uint8_t, uint16_t, uint64_t
from libc.string cimport memcpy, memset
from libc.limits cimport LLONG_MAX

cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object o)
    const char* PyUnicode_AsUTF8AndSize(object o, Py_ssize_t* size) except NULL
    bint PyUnicode_CheckExact(object o)
    bint PyLong_CheckExact(object o)
    long long PyLong_AsLongLongAndOverflow(object o, int* overflow) except? -1
    char* PyBytes_AS_STRING(object o)
    Py_ssize_t PyBytes_GET_SIZE(object o)

__all__ = ["IdSequence", "operation_id"]


# -- BLAKE2b (RFC 7693) -------------------------------------------------------------------------

cdef enum:
    BLOCK = 128       # bytes per block
    MAX_DIGITS = 20   # the longest decimal of a C long long, with its sign: "-9223372036854775808"

# initialization vector (RFC 7693 2.6)
cdef uint64_t[8] IV
IV[:] = [
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
]

# two lowercase hex digits per byte value: HEX_PAIRS[2*b], HEX_PAIRS[2*b + 1]
cdef const char* HEX_PAIRS = (
    b"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    b"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    b"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    b"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    b"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    b"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    b"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    b"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
)

# the same two characters as one 16-bit value each, stored in memory order
cdef uint16_t[256] HEX16
cdef int _b
for _b in range(256):
    memcpy(&HEX16[_b], &HEX_PAIRS[2 * _b], 2)


cdef struct Blake2b:
    uint64_t h[8]      # chained state
    uint64_t t0        # bytes hashed so far, low word
    uint64_t t1        # ... and high word (RFC 7693: a 128-bit counter)
    size_t c           # bytes waiting in the buffer
    uint8_t b[BLOCK]   # input buffer: it always keeps the last block for b2_final


cdef inline uint64_t rotr64(uint64_t x, unsigned int n) noexcept nogil:
    return (x >> n) | (x << (64 - n))


cdef inline bint little_endian() noexcept nogil:
    # a constant: the C compiler folds it away
    cdef uint64_t one = 1
    return (<uint8_t*>&one)[0] == 1


cdef inline void load_block(uint64_t* m, const uint8_t* p) noexcept nogil:
    # the 16 little-endian 64-bit words of a block
    cdef int i, j
    cdef uint64_t w
    if little_endian():
        memcpy(m, p, BLOCK)
    else:
        for i in range(16):
            w = 0
            for j in range(7, -1, -1):
                w = (w << 8) | p[8 * i + j]
            m[i] = w


cdef inline void mix(uint64_t* v, int a, int b, int c, int d,
                     uint64_t x, uint64_t y) noexcept nogil:
    # the mixing function G (RFC 7693 3.1); rotation constants R1..R4 = 32, 24, 16, 63. Working on
    # locals keeps it small enough that the C compiler inlines all 96 calls in ``compress``
    cdef uint64_t va = v[a], vb = v[b], vc = v[c], vd = v[d]
    va = va + vb + x
    vd = rotr64(vd ^ va, 32)
    vc = vc + vd
    vb = rotr64(vb ^ vc, 24)
    va = va + vb + y
    vd = rotr64(vd ^ va, 16)
    vc = vc + vd
    vb = rotr64(vb ^ vc, 63)
    v[a] = va
    v[b] = vb
    v[c] = vc
    v[d] = vd


cdef void compress(Blake2b* s, const uint8_t* p, size_t nblocks, uint64_t inc,
                   bint last) noexcept nogil:
    # the compression function F (RFC 7693 3.2) on ``nblocks`` consecutive blocks at ``p``, adding
    # ``inc`` bytes to the counter before each one; ``last`` marks the final block. The 12 rounds
    # are written out with the message schedule SIGMA (RFC 7693 2.7; rounds 10 and 11 reuse rows 0
    # and 1) as constant indices, so the working vector ``v`` stays in registers.
    cdef uint64_t v[16]
    cdef uint64_t m[16]
    cdef int i
    while nblocks > 0:
        s.t0 += inc
        if s.t0 < inc:
            s.t1 += 1
        for i in range(8):
            v[i] = s.h[i]
            v[i + 8] = IV[i]
        v[12] ^= s.t0
        v[13] ^= s.t1
        if last:
            v[14] = ~v[14]
        load_block(m, p)
        # round 0: SIGMA[0]
        mix(v, 0, 4, 8, 12, m[0], m[1])
        mix(v, 1, 5, 9, 13, m[2], m[3])
        mix(v, 2, 6, 10, 14, m[4], m[5])
        mix(v, 3, 7, 11, 15, m[6], m[7])
        mix(v, 0, 5, 10, 15, m[8], m[9])
        mix(v, 1, 6, 11, 12, m[10], m[11])
        mix(v, 2, 7, 8, 13, m[12], m[13])
        mix(v, 3, 4, 9, 14, m[14], m[15])
        # round 1: SIGMA[1]
        mix(v, 0, 4, 8, 12, m[14], m[10])
        mix(v, 1, 5, 9, 13, m[4], m[8])
        mix(v, 2, 6, 10, 14, m[9], m[15])
        mix(v, 3, 7, 11, 15, m[13], m[6])
        mix(v, 0, 5, 10, 15, m[1], m[12])
        mix(v, 1, 6, 11, 12, m[0], m[2])
        mix(v, 2, 7, 8, 13, m[11], m[7])
        mix(v, 3, 4, 9, 14, m[5], m[3])
        # round 2: SIGMA[2]
        mix(v, 0, 4, 8, 12, m[11], m[8])
        mix(v, 1, 5, 9, 13, m[12], m[0])
        mix(v, 2, 6, 10, 14, m[5], m[2])
        mix(v, 3, 7, 11, 15, m[15], m[13])
        mix(v, 0, 5, 10, 15, m[10], m[14])
        mix(v, 1, 6, 11, 12, m[3], m[6])
        mix(v, 2, 7, 8, 13, m[7], m[1])
        mix(v, 3, 4, 9, 14, m[9], m[4])
        # round 3: SIGMA[3]
        mix(v, 0, 4, 8, 12, m[7], m[9])
        mix(v, 1, 5, 9, 13, m[3], m[1])
        mix(v, 2, 6, 10, 14, m[13], m[12])
        mix(v, 3, 7, 11, 15, m[11], m[14])
        mix(v, 0, 5, 10, 15, m[2], m[6])
        mix(v, 1, 6, 11, 12, m[5], m[10])
        mix(v, 2, 7, 8, 13, m[4], m[0])
        mix(v, 3, 4, 9, 14, m[15], m[8])
        # round 4: SIGMA[4]
        mix(v, 0, 4, 8, 12, m[9], m[0])
        mix(v, 1, 5, 9, 13, m[5], m[7])
        mix(v, 2, 6, 10, 14, m[2], m[4])
        mix(v, 3, 7, 11, 15, m[10], m[15])
        mix(v, 0, 5, 10, 15, m[14], m[1])
        mix(v, 1, 6, 11, 12, m[11], m[12])
        mix(v, 2, 7, 8, 13, m[6], m[8])
        mix(v, 3, 4, 9, 14, m[3], m[13])
        # round 5: SIGMA[5]
        mix(v, 0, 4, 8, 12, m[2], m[12])
        mix(v, 1, 5, 9, 13, m[6], m[10])
        mix(v, 2, 6, 10, 14, m[0], m[11])
        mix(v, 3, 7, 11, 15, m[8], m[3])
        mix(v, 0, 5, 10, 15, m[4], m[13])
        mix(v, 1, 6, 11, 12, m[7], m[5])
        mix(v, 2, 7, 8, 13, m[15], m[14])
        mix(v, 3, 4, 9, 14, m[1], m[9])
        # round 6: SIGMA[6]
        mix(v, 0, 4, 8, 12, m[12], m[5])
        mix(v, 1, 5, 9, 13, m[1], m[15])
        mix(v, 2, 6, 10, 14, m[14], m[13])
        mix(v, 3, 7, 11, 15, m[4], m[10])
        mix(v, 0, 5, 10, 15, m[0], m[7])
        mix(v, 1, 6, 11, 12, m[6], m[3])
        mix(v, 2, 7, 8, 13, m[9], m[2])
        mix(v, 3, 4, 9, 14, m[8], m[11])
        # round 7: SIGMA[7]
        mix(v, 0, 4, 8, 12, m[13], m[11])
        mix(v, 1, 5, 9, 13, m[7], m[14])
        mix(v, 2, 6, 10, 14, m[12], m[1])
        mix(v, 3, 7, 11, 15, m[3], m[9])
        mix(v, 0, 5, 10, 15, m[5], m[0])
        mix(v, 1, 6, 11, 12, m[15], m[4])
        mix(v, 2, 7, 8, 13, m[8], m[6])
        mix(v, 3, 4, 9, 14, m[2], m[10])
        # round 8: SIGMA[8]
        mix(v, 0, 4, 8, 12, m[6], m[15])
        mix(v, 1, 5, 9, 13, m[14], m[9])
        mix(v, 2, 6, 10, 14, m[11], m[3])
        mix(v, 3, 7, 11, 15, m[0], m[8])
        mix(v, 0, 5, 10, 15, m[12], m[2])
        mix(v, 1, 6, 11, 12, m[13], m[7])
        mix(v, 2, 7, 8, 13, m[1], m[4])
        mix(v, 3, 4, 9, 14, m[10], m[5])
        # round 9: SIGMA[9]
        mix(v, 0, 4, 8, 12, m[10], m[2])
        mix(v, 1, 5, 9, 13, m[8], m[4])
        mix(v, 2, 6, 10, 14, m[7], m[6])
        mix(v, 3, 7, 11, 15, m[1], m[5])
        mix(v, 0, 5, 10, 15, m[15], m[11])
        mix(v, 1, 6, 11, 12, m[9], m[14])
        mix(v, 2, 7, 8, 13, m[3], m[12])
        mix(v, 3, 4, 9, 14, m[13], m[0])
        # round 10: SIGMA[0]
        mix(v, 0, 4, 8, 12, m[0], m[1])
        mix(v, 1, 5, 9, 13, m[2], m[3])
        mix(v, 2, 6, 10, 14, m[4], m[5])
        mix(v, 3, 7, 11, 15, m[6], m[7])
        mix(v, 0, 5, 10, 15, m[8], m[9])
        mix(v, 1, 6, 11, 12, m[10], m[11])
        mix(v, 2, 7, 8, 13, m[12], m[13])
        mix(v, 3, 4, 9, 14, m[14], m[15])
        # round 11: SIGMA[1]
        mix(v, 0, 4, 8, 12, m[14], m[10])
        mix(v, 1, 5, 9, 13, m[4], m[8])
        mix(v, 2, 6, 10, 14, m[9], m[15])
        mix(v, 3, 7, 11, 15, m[13], m[6])
        mix(v, 0, 5, 10, 15, m[1], m[12])
        mix(v, 1, 6, 11, 12, m[0], m[2])
        mix(v, 2, 7, 8, 13, m[11], m[7])
        mix(v, 3, 4, 9, 14, m[5], m[3])
        for i in range(8):
            s.h[i] ^= v[i] ^ v[i + 8]
        p += BLOCK
        nblocks -= 1


cdef inline void b2_init(Blake2b* s) noexcept nogil:
    # parameter block (RFC 7693 2.5): digest length 64, key length 0, fanout 1, depth 1, rest 0
    cdef int i
    for i in range(8):
        s.h[i] = IV[i]
    s.h[0] ^= 0x01010000 ^ (0 << 8) ^ 64
    s.t0 = 0
    s.t1 = 0
    s.c = 0


cdef inline void b2_update(Blake2b* s, const uint8_t* data, size_t size) noexcept nogil:
    # a full buffer is compressed only once more input arrives: the last block, even a full
    # one, is left for b2_final (RFC 7693 3.3)
    cdef size_t take, nblocks
    if s.c + size > BLOCK:
        if s.c > 0:
            take = BLOCK - s.c
            memcpy(&s.b[s.c], data, take)
            compress(s, s.b, 1, BLOCK, False)
            s.c = 0
            data += take
            size -= take
        if size > BLOCK:
            # whole blocks straight from the input, keeping at least one byte back
            nblocks = (size - 1) // BLOCK
            compress(s, data, nblocks, BLOCK, False)
            data += nblocks * BLOCK
            size -= nblocks * BLOCK
    memcpy(&s.b[s.c], data, size)
    s.c += size


cdef inline void b2_final_hex64(Blake2b* s, char* out) noexcept nogil:
    # compress the zero-padded last block and write the lowercase hex of the first 32 digest bytes
    # (64 characters) to ``out``
    cdef int i, j
    cdef uint64_t w
    memset(&s.b[s.c], 0, BLOCK - s.c)
    compress(s, s.b, 1, s.c, True)
    for i in range(4):
        w = s.h[i]  # digest bytes are the state words in little-endian order
        for j in range(8):
            memcpy(&out[16 * i + 2 * j], &HEX16[w & 0xFF], 2)
            w >>= 8


# -- operation IDs ------------------------------------------------------------------------------

cdef inline Py_ssize_t write_decimal(long long n, char* out) noexcept nogil:
    # write ``str(n)`` at ``out`` (at most MAX_DIGITS characters); return its length
    cdef char digits[MAX_DIGITS]
    cdef char* p = digits + MAX_DIGITS
    cdef unsigned long long u
    cdef Py_ssize_t length, i
    if n < 0:
        u = 0ULL - <unsigned long long>n  # well defined for LLONG_MIN too
    else:
        u = <unsigned long long>n
    while True:
        p -= 1
        p[0] = <char>(48 + u % 10)
        u //= 10
        if u == 0:
            break
    if n < 0:
        p -= 1
        p[0] = b'-'
    length = digits + MAX_DIGITS - p
    for i in range(length):
        out[i] = p[i]
    return length


cdef inline str hex_id(Blake2b* s):
    cdef str result = PyUnicode_New(64, 127)
    b2_final_hex64(s, <char*>PyUnicode_DATA(result))
    return result


cdef str _slow_id(object prefix, object n):
    # anything outside the fast path: the pure twin's key, hashed by the C BLAKE2b
    cdef Blake2b s
    key = str(n) if prefix is None else f"{prefix}-{n}"
    data = key.encode()
    b2_init(&s)
    b2_update(&s, <const uint8_t*>PyBytes_AS_STRING(data), <size_t>PyBytes_GET_SIZE(data))
    return hex_id(&s)


cdef inline str _fast_id(object prefix, long long n):
    # ``prefix`` is None or exactly str
    cdef Blake2b s
    cdef char tail[MAX_DIGITS + 1]
    cdef Py_ssize_t size = 0
    cdef const char* text = NULL
    b2_init(&s)
    if prefix is not None:
        text = PyUnicode_AsUTF8AndSize(prefix, &size)  # no copy for an ASCII str
    if size <= BLOCK - 1 - MAX_DIGITS:
        # the whole key fits the first block: write it in place
        if text != NULL:
            memcpy(s.b, text, size)
            s.b[size] = b'-'
            size += 1
        s.c = size + write_decimal(n, <char*>&s.b[size])
    else:
        b2_update(&s, <const uint8_t*>text, <size_t>size)
        tail[0] = b'-'
        b2_update(&s, <const uint8_t*>tail, <size_t>(1 + write_decimal(n, &tail[1])))
    return hex_id(&s)


cdef inline str _ll_id(object prefix, long long n):
    if prefix is None or PyUnicode_CheckExact(prefix):
        return _fast_id(prefix, n)
    return _slow_id(prefix, n)


cdef inline str _id(object prefix, object n):
    cdef int overflow = 0
    cdef long long value
    if PyLong_CheckExact(n) and (prefix is None or PyUnicode_CheckExact(prefix)):
        value = PyLong_AsLongLongAndOverflow(n, &overflow)
        if not overflow:
            return _fast_id(prefix, value)
    return _slow_id(prefix, n)


def operation_id(prefix, n):
    """Return the 64-hex-character operation ID of operation ``n`` under ``prefix``."""
    return _id(prefix, n)


cdef class IdSequence:
    """The per-context operation counter (starts at 0; each ``next_id()`` increments first).

    ``prefix`` is the owning context's operation ID, ``None`` for the root context.
    """

    cdef public object prefix
    # The counter lives in a C long long. A value that does not fit one (only reachable by
    # assigning ``count``, or after 2**63 - 1 operations) is kept as the Python object in ``_big``
    # instead, so the twins agree there too.
    cdef long long _count
    cdef object _big
    # the last ID ``peek_id()`` computed for ``_count + 1``, reused by ``next_id()`` (replay peeks
    # at every next ID: without this each replayed operation would hash twice)
    cdef long long _peek_n
    cdef object _peek_id

    def __init__(self, prefix=None):
        self.prefix = prefix
        self._count = 0
        self._big = None
        self._peek_id = None

    @property
    def count(self):
        if self._big is not None:
            return self._big
        return self._count

    @count.setter
    def count(self, value):
        cdef int overflow = 0
        cdef long long n
        if PyLong_CheckExact(value):
            n = PyLong_AsLongLongAndOverflow(value, &overflow)
            if not overflow:
                self._count = n
                self._big = None
                return
        self._count = 0
        self._big = value

    def next_id(self):
        """Consume and return the next operation ID of this context."""
        if self._big is None:
            if self._count != LLONG_MAX:
                self._count += 1
                if self._peek_id is not None and self._peek_n == self._count:
                    return self._peek_id
                return _ll_id(self.prefix, self._count)
            self._big = self._count
        self._big += 1
        return _id(self.prefix, self._big)

    def peek_id(self, ahead=1):
        """Return the ID ``ahead`` positions past the last one issued, without consuming it."""
        cdef int overflow = 0
        cdef long long a
        if self._big is None and PyLong_CheckExact(ahead):
            a = PyLong_AsLongLongAndOverflow(ahead, &overflow)
            if not overflow and (self._count <= LLONG_MAX - a if a > 0
                                 else self._count >= -LLONG_MAX - 1 - a):
                if a == 1:
                    if self._peek_id is None or self._peek_n != self._count + 1:
                        self._peek_n = self._count + 1
                        self._peek_id = _ll_id(self.prefix, self._peek_n)
                    return self._peek_id
                return _ll_id(self.prefix, self._count + a)
        return _id(self.prefix, self.count + ahead)
