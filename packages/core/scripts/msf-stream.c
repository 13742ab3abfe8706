/*
 * A byte stream of msf4x22 (packages/core/src/random/counter.ts), the counter-based generator of
 * rbmlab's GPU kernels, for external test batteries: dieharder's whole battery was run on it
 * (docs/GPU.md):
 *
 *     cc -O2 -o msf-stream packages/core/scripts/msf-stream.c
 *     ./msf-stream --check                      # words of two counters, to compare with msf4x22
 *     ./msf-stream 10 3 | dieharder -a -g 200   # 10 rounds, the draw word (c3) running fastest
 *
 * The definition in integer arithmetic (as the tests' `reference`): 22-bit words, key (k0, k1),
 *   (X0, X1, X2, X3) -> (X1 + F(X2 + K0), M1 X2, X3 + F(X0 + K1), M0 X0)  mod 2^22,
 *   F(y) = floor(y^2 / 2^11) mod 2^22, the key advanced by Weyl constants after each round.
 * The stream takes counters t = 0, 1, 2, ... with counter word `axis` = t mod 2^22 and the next
 * word = floor(t / 2^22), the others 0, key (1597519, 2860124), and writes each evaluation's four
 * words as 88 bits (11 bytes, little-endian, word 0 first).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASK 0x3FFFFFu
static const uint64_t M0 = 0x349447, M1 = 0x3367A3, W0 = 0x278DDF, W1 = 0x2ED9EB;

static uint64_t middle_square(uint64_t y) { return ((y * y) >> 11) & MASK; }

static void msf4x22(uint64_t k0, uint64_t k1, uint64_t c[4], int rounds) {
  uint64_t x0 = c[0], x1 = c[1], x2 = c[2], x3 = c[3];
  for (int r = 0; r < rounds; r++) {
    uint64_t y0 = (x1 + middle_square((x2 + k0) & MASK)) & MASK;
    uint64_t y1 = (M1 * x2) & MASK;
    uint64_t y2 = (x3 + middle_square((x0 + k1) & MASK)) & MASK;
    uint64_t y3 = (M0 * x0) & MASK;
    x0 = y0; x1 = y1; x2 = y2; x3 = y3;
    k0 = (k0 + W0) & MASK;
    k1 = (k1 + W1) & MASK;
  }
  c[0] = x0; c[1] = x1; c[2] = x2; c[3] = x3;
}

int main(int argc, char **argv) {
  const uint64_t k0 = 1597519, k1 = 2860124;
  if (argc == 2 && strcmp(argv[1], "--check") == 0) {
    /* compare: node -e "const c = require('./packages/core/dist'); console.log(c.msf4x22(1597519, 2860124, 0, 0, 0, 0), c.msf4x22(1597519, 2860124, 5, 0, 0, 0))" */
    for (uint64_t c0 = 0; c0 <= 5; c0 += 5) {
      uint64_t c[4] = {c0, 0, 0, 0};
      msf4x22(k0, k1, c, 10);
      printf("%llu %llu %llu %llu\n", (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2], (unsigned long long)c[3]);
    }
    return 0;
  }
  if (argc != 3) {
    fprintf(stderr, "usage: msf-stream ROUNDS AXIS (0..3) | dieharder -a -g 200; msf-stream --check\n");
    return 2;
  }
  int rounds = atoi(argv[1]), axis = atoi(argv[2]);
  if (rounds < 1 || axis < 0 || axis > 3) {
    fprintf(stderr, "msf-stream: ROUNDS must be >= 1 and AXIS 0..3\n");
    return 2;
  }
  unsigned char buf[11 * 4096];
  for (uint64_t t = 0;;) {
    for (int e = 0; e < 4096; e++, t++) {
      uint64_t c[4] = {0, 0, 0, 0};
      c[axis] = t & MASK;
      c[(axis + 1) % 4] = (t >> 22) & MASK;
      msf4x22(k0, k1, c, rounds);
      uint64_t lo = c[0] | (c[1] << 22) | ((c[2] & 0xFFFFF) << 44);
      uint64_t hi = (c[2] >> 20) | (c[3] << 2);
      for (int q = 0; q < 8; q++) buf[e * 11 + q] = (lo >> (8 * q)) & 0xFF;
      for (int q = 0; q < 3; q++) buf[e * 11 + 8 + q] = (hi >> (8 * q)) & 0xFF;
    }
    if (fwrite(buf, 1, sizeof buf, stdout) != sizeof buf) return 0;
  }
}
