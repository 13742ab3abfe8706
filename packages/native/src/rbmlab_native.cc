// rbmlab's native CPU kernels, a Node-API addon over the system's OpenBLAS.
//
//   hiddenInputs(v, W, batch, n, m, out, single?)        out (batch x m)  = v (batch x n) W (n x m)
//   visibleInputs(h, W, batch, n, m, out, single?)       out (batch x n)  = h (batch x m) W^T
//   addOuterProducts(v, a, batch, n, m, s, out, single?)  out (n x m)    += s v^T a   (out float64)
//   sampleBinary(x, bias, batch, size, kind, k0, k1, k2, k3, out)
//       out[b, j] = hi if u(key, b * size + j) < sigmoid(c (x[b, j] + bias[j])) else lo,
//       kind 0: bernoulli (c = 1, values 0/1), kind 1: spin (c = 2, values -1/+1).
//   binaryActivations(x, bias, batch, size, kind, out, sums)
//       out[b, j] = sigmoid (kind 0) or tanh (kind 1) of x[b, j] + bias[j]; sums[j] += sum_b out[b, j]
//   outerProducts(v, a, batch, n, m, s, out)   out (n x m)     = s v^T a    (all float32, beta = 0)
//   allFinite(x)                               true iff no entry of x is NaN or infinite (float32 or float64)
//   maxAbs(x)                                  max_k |x[k]| (0 when empty), NaN if some entry is NaN
//   addStep(p, d, mirror)                      p += d, mirror = float32(p); true iff p stays finite
//   sgdWeightStep(w, g1, g2, lr, mirror)       w += lr ((0 + g1) + g2), mirror = float32(w); true iff w stays finite
//   addColumnSums(v, batch, n, scale, out)     out[i] -= -scale v[b, i] for b = 0 .. batch-1 (out float64)
//   gatherRows(data, order, start, count, n, out)  out row r = data row order[start + r] (converted to out's type)
//   info()                                     {blas, core, threads}
//   setThreads(n)                              n OpenBLAS threads, and n threads in the addon's own pool
//
// Arrays are Float32Array or Float64Array (row-major). Both factors float32: sgemm (a float64 out
// receives the float32 product through a buffer: the float32 trainer's gradient sums), or, where
// the left factor is 0/1 states with few 1s, sums of rows ("products with binary states"); otherwise
// dgemm, on float64 copies of any float32 factor. With single = true every product is an sgemm on
// float32 copies of the operands (the "native-openblas-f32" backend). x and out of sampleBinary may be the same array.
// The addon's own kernels run on its work pool ("rbmlab's own threads" below), with bits that do
// not depend on the thread count.
//
// Random numbers (counter-based, so any split of the work gives the same bits): the key is four
// 32-bit words drawn by the caller from its seeded stream; draw number c of a call is
//     bits(c) = mix64(K1 ^ mix64(K0 + G (c + 1))),  K0 = k0 2^32 + k1, K1 = k2 2^32 + k3,
// with mix64 the SplitMix64 finaliser (Steele, Lea and Flood 2014; Stafford's variant 13) and
// G = 0x9e3779b97f4a7c15, and u(c) = (bits(c) >> 11) 2^-53, uniform on [0, 1) with 53 bits.
// Keys that differ only by a multiple of G in K0 still give unrelated streams through K1.
//
// The conditional probability's smaller tail is computed in float32 (a Cephes-style exp; relative
// error below 3e-7 on every float input, tested) and compared with u or 1 - u in float64.
#include <node_api.h>
#include <cblas.h>

#include <sched.h>
#ifdef __AVX__
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern "C" {
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
}

namespace {

struct Arr {
  napi_typedarray_type type;
  void* data;
  size_t length;
  bool f32() const { return type == napi_float32_array; }
};

bool throwError(napi_env env, const char* kind, const std::string& message) {
  if (std::strcmp(kind, "range") == 0) napi_throw_range_error(env, nullptr, message.c_str());
  else napi_throw_type_error(env, nullptr, message.c_str());
  return false;
}

bool getArr(napi_env env, napi_value value, const char* name, Arr* out) {
  bool is = false;
  napi_is_typedarray(env, value, &is);
  if (!is) return throwError(env, "type", std::string("rbmlab native: ") + name + " must be a Float32Array or Float64Array");
  napi_value buffer;
  size_t offset;
  napi_get_typedarray_info(env, value, &out->type, &out->length, &out->data, &buffer, &offset);
  if (out->type != napi_float32_array && out->type != napi_float64_array) {
    return throwError(env, "type", std::string("rbmlab native: ") + name + " must be a Float32Array or Float64Array");
  }
  return true;
}

bool getInt(napi_env env, napi_value value, const char* name, int64_t* out, int64_t max = (int64_t{1} << 31) - 1) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok || !(d >= 0 && d <= static_cast<double>(max)) || d != std::floor(d)) {
    return throwError(env, "range", std::string("rbmlab native: ") + name + " must be an integer in [0, " + std::to_string(max) + "]");
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool needLength(napi_env env, const Arr& a, const char* name, int64_t need) {
  if (static_cast<int64_t>(a.length) < need) {
    return throwError(env, "range", std::string("rbmlab native: ") + name + " has " + std::to_string(a.length) + " entries, needs " + std::to_string(need));
  }
  return true;
}

bool getArgs(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < want) return throwError(env, "type", "rbmlab native: expected " + std::to_string(want) + " arguments");
  return true;
}

// A float64 view of an array: the array itself or a converted copy.
struct F64View {
  const double* data;
  std::vector<double> copy;
  F64View(const Arr& a, size_t count) {
    if (a.f32()) {
      const float* s = static_cast<const float*>(a.data);
      copy.assign(s, s + count);
      data = copy.data();
    } else {
      data = static_cast<const double*>(a.data);
    }
  }
};

// ---- rbmlab's own threads ----
//
// OpenBLAS's threads serve its own products only. rbmlab's kernels (the binary products, the
// sampler, the activations, the SGD pass) run on this pool: setThreads(n) keeps n - 1 workers
// beside the calling thread, and forRanges(count, minPart, body) splits [0, count) into at most
// n contiguous parts (none smaller than minPart), the caller taking the first. Every kernel run
// on it computes each output from its own inputs in a fixed order (sums in the order of their
// index, counter-based random numbers), so its bits do not depend on the thread count or on which
// thread ran which part.
//
// Workers wait for work spinning (with sched_yield at each check, so that a spinning worker gives
// way to other runnable threads, though each check still costs a system call) for kSpin after
// their last part, then sleep on a condition variable: a training loop calls the pool every few
// hundred microseconds and finds the workers awake, and an idle process has none spinning. One caller at a time: another thread (a study's worker
// thread) that finds the pool busy runs its loop alone, with the same bits. A body must not call
// forRanges itself (the mutex is not recursive).
class WorkPool {
 public:
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  // n threads in all (n - 1 workers); false when a thread could not be started (the pool then
  // keeps the workers it has).
  bool setThreads(int n) {
    std::lock_guard<std::mutex> busy(busy_);
    if (n == threads()) return true;
    {
      std::lock_guard<std::mutex> lk(sleep_);
      stop_ = true;
      generation_.fetch_add(kSerial, std::memory_order_release);
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // the generation a worker waits past is read here, under busy_, not when its thread starts:
    // a loop published before then would otherwise be missed, and its caller wait forever
    const uint64_t seen = generation_.load(std::memory_order_acquire);
    bool started = true;
    try {
      for (int w = 1; w < n; w++) workers_.emplace_back([this, w, seen] { work(w, seen); });
    } catch (const std::exception&) {
      started = false;
    }
    threads_.store(static_cast<int>(workers_.size()) + 1, std::memory_order_relaxed);
    return started;
  }

  template <typename F>
  void forRanges(int64_t count, int64_t minPart, F&& body) {
    const int64_t most = minPart > 0 ? count / minPart : count;
    if (most <= 1 || threads() <= 1 || !busy_.try_lock()) {
      body(int64_t{0}, count);
      return;
    }
    // the thread count is read under busy_ (setThreads changes it only under busy_)
    std::unique_lock<std::mutex> busy(busy_, std::adopt_lock);
    const int parts = static_cast<int>(std::min<int64_t>(threads(), most));
    auto call = [](void* ctx, int64_t begin, int64_t end) { (*static_cast<F*>(ctx))(begin, end); };
    run_ = call;
    ctx_ = &body;
    count_ = count;
    pending_.store(parts - 1, std::memory_order_relaxed);
    bool sleeping;
    {
      std::lock_guard<std::mutex> lk(sleep_);
      // the part count travels in the generation word itself: a worker without a part decides
      // so from the word alone and never reads the job's fields, which the next caller may be
      // writing by the time it looks
      const uint64_t serial = (generation_.load(std::memory_order_relaxed) & ~kPartsMask) + kSerial;
      generation_.store(serial | static_cast<uint64_t>(parts), std::memory_order_release);
      sleeping = sleepers_ > 0;
    }
    if (sleeping) wake_.notify_all();
    try {
      body(int64_t{0}, count / parts);
    } catch (...) {
      waitForParts();  // the workers still run `body` (a caller's std::bad_alloc, say)
      throw;
    }
    waitForParts();
  }

 private:
  static constexpr std::chrono::microseconds kSpin{2000};
  static constexpr uint64_t kPartsMask = 0xffff;  // parts <= 1024 threads
  static constexpr uint64_t kSerial = kPartsMask + 1;

  void waitForParts() {
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
      if (spins % 64 == 63) sched_yield(); else __builtin_ia32_pause();
    }
  }

  void work(int index, uint64_t seen) {
    for (;;) {
      auto deadline = std::chrono::steady_clock::now() + kSpin;
      uint64_t g;
      while ((g = generation_.load(std::memory_order_acquire)) == seen) {
        sched_yield();
        if (std::chrono::steady_clock::now() < deadline) continue;
        std::unique_lock<std::mutex> lk(sleep_);
        sleepers_++;
        wake_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        sleepers_--;
      }
      seen = g;
      if (stop_) return;
      const int parts = static_cast<int>(g & kPartsMask);
      if (index < parts) {
        // counted in pending_: the caller waits for this part, so the fields stay as published
        run_(ctx_, count_ * index / parts, count_ * (index + 1) / parts);
        pending_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  std::mutex busy_;   // held by the one caller whose loop the workers run, and by setThreads
  std::mutex sleep_;  // guards sleepers_ and the generation's changes, for the condition variable
  std::condition_variable wake_;
  int sleepers_ = 0;
  std::atomic<uint64_t> generation_{0};  // serial x kSerial + the current loop's part count
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  // the loop of the current generation (written before it is published; read only by the
  // workers that have a part in it)
  void (*run_)(void*, int64_t, int64_t) = nullptr;
  void* ctx_ = nullptr;
  int64_t count_ = 0;
};

// One pool for the process (the workers live as long as it: never destroyed, so that no joinable
// thread is left to a destructor at exit).
WorkPool& pool() {
  static WorkPool* p = new WorkPool();
  return *p;
}

// A float32 view of an array: the array itself or a rounded copy.
struct F32View {
  const float* data;
  std::vector<float> copy;
  F32View(const Arr& a, size_t count) {
    if (a.f32()) {
      data = static_cast<const float*>(a.data);
    } else {
      const double* s = static_cast<const double*>(a.data);
      copy.resize(count);
      for (size_t k = 0; k < count; k++) copy[k] = static_cast<float>(s[k]);
      data = copy.data();
    }
  }
};

// ---- products with binary states ----
//
// Where a float32 factor holds only 0s and 1s (bernoulli states: minibatches, chains, sampled
// hidden units) and few 1s, its product is a sum of rows of the other factor:
//     NN:  out[b, :] = sum_{i : v[b, i] = 1} W[i, :]                (v: M x K, W: K x N)
//     NT:  out[b, :] = sum_{j : h[b, j] = 1} W^T[j, :]              (h: M x K, W: N x K)
//     TN:  out[i, :] = alpha sum_{b : v[b, i] = 1} a[b, :]           (v: K x M, a: K x N)
// added in float32 in increasing order of i (j, b), from 0, and for TN scaled once at the end, as
// sgemm scales its sum. The density p of 1s costs p K adds per output instead of K multiply-adds:
// measured at 100 x 784 x 500 (NN, Haswell sgemm kernel), 0.57 ms at p = 0.3 against sgemm's 0.76
// on one thread, parity at p = 0.5 (NN, NT and TN alike, within 8%); on two threads, 0.29 against
// 0.54 at p = 0.3 and still 0.44 against 0.53 at p = 0.5. So it is used when p <= 0.5, on the
// pool's threads as sgemm runs on OpenBLAS's. The result is within sgemm's error bound (a float32
// sum of at most K terms; it is exact where sgemm's is) and does not depend on the thread count. One difference:
// 0 x Infinity or 0 x NaN in the other factor is skipped here (a finite 0 contributes nothing),
// where sgemm gives NaN; the trainer and the samplers only multiply finite weights and activations.

typedef float F32x16 __attribute__((vector_size(64)));

inline F32x16 load16(const float* p) {
  F32x16 x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

inline void store16(float* p, F32x16 x) { std::memcpy(p, &x, sizeof x); }

// The fraction of 1s in x (len entries), or -1 when some entry is neither 0 nor 1.
double binaryDensity(const float* x, size_t len) {
  size_t ones = 0;
  int other = 0;
  for (size_t k = 0; k < len; k++) {
    ones += x[k] == 1.0f;
    other |= !(x[k] == 0.0f || x[k] == 1.0f);
  }
  return other ? -1.0 : len == 0 ? 0.0 : static_cast<double>(ones) / static_cast<double>(len);
}

// S strips of 16 columns (S <= 8): S accumulators kept in registers over all the rows, starting
// from 0, or from what dst holds when `more` (a sum continued over a further block of rows).
template <int S>
void sumStrips(const float* src, size_t ld, const int32_t* rows, int64_t count, float scale, bool scaled, bool more, float* dst) {
  F32x16 acc[S] = {};
  if (more) for (int q = 0; q < S; q++) acc[q] = load16(dst + 16 * q);
  for (int64_t k = 0; k < count; k++) {
    const float* w = src + static_cast<size_t>(rows[k]) * ld;
    for (int q = 0; q < S; q++) acc[q] += load16(w + 16 * q);
  }
  for (int q = 0; q < S; q++) store16(dst + 16 * q, scaled ? acc[q] * scale : acc[q]);
}

// dst[0 .. n) = scale * sum over the rows rows[0 .. count) of src (each src + r * ld), in order,
// from 0, or continuing the unscaled sum dst holds when `more` (scale applied when `scaled`).
// Columns in strips of 16 floats, up to 8 strips (128 columns) per pass over the rows with their
// sums in registers; the last n mod 16 columns together in one more pass. Every output is the
// same ordered float32 sum whatever the strip width and however the rows are cut into blocks.
void sumRows(const float* src, size_t ld, const int32_t* rows, int64_t count, int64_t n, float scale, bool scaled, bool more, float* dst) {
  int64_t j = 0;
  for (; j + 128 <= n; j += 128) sumStrips<8>(src + j, ld, rows, count, scale, scaled, more, dst + j);
  switch ((n - j) / 16) {
    case 7: sumStrips<7>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    case 6: sumStrips<6>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    case 5: sumStrips<5>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    case 4: sumStrips<4>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    case 3: sumStrips<3>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    case 2: sumStrips<2>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    case 1: sumStrips<1>(src + j, ld, rows, count, scale, scaled, more, dst + j); break;
    default: break;
  }
  j += (n - j) / 16 * 16;
  const int64_t rest = n - j;  // < 16
  if (rest > 0) {
    float acc[16] = {};
    if (more) for (int64_t t = 0; t < rest; t++) acc[t] = dst[j + t];
    for (int64_t k = 0; k < count; k++) {
      const float* w = src + static_cast<size_t>(rows[k]) * ld + j;
      for (int64_t t = 0; t < rest; t++) acc[t] += w[t];
    }
    for (int64_t t = 0; t < rest; t++) dst[j + t] = scaled ? acc[t] * scale : acc[t];
  }
}

// The largest density of 1s for which the binary kernel replaces sgemm (see above). Both run on
// every thread (the kernel on the pool, sgemm on OpenBLAS's), so the choice does not depend on the
// thread count, and neither do the bits.
constexpr double kBinaryMaxDensity = 0.5;

// Rows of the other factor per block of the NN kernel: 64 rows of 128 floats, 32 KiB.
constexpr int64_t kRowBlock = 64;

// Output rows [r0, r1) of C = alpha A B (NN), A binary M x K: for each row b, the columns i with
// A[b, i] = 1; then out[b, :] = the sum of B's rows i, 128 columns at a time for every b (those
// columns of B, K x 128 floats, stay in cache).
void binaryRowsNN(int64_t r0, int64_t r1, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                  float* C, int64_t ldc) {
  thread_local std::vector<int32_t> rows;
  thread_local std::vector<int64_t> counts;
  const int64_t M = r1 - r0;
  const size_t need = static_cast<size_t>(M) * static_cast<size_t>(K);
  if (rows.size() < need) rows.resize(need);
  if (counts.size() < static_cast<size_t>(M)) counts.resize(M);
  for (int64_t b = 0; b < M; b++) {
    const float* ar = A + (r0 + b) * lda;
    int32_t* list = rows.data() + static_cast<size_t>(b) * K;
    int64_t c = 0;
    for (int64_t i = 0; i < K; i++) {
      list[c] = static_cast<int32_t>(i);
      c += ar[i] == 1.0f;
    }
    counts[b] = c;
  }
  // 128 columns of B at a time, and of those kRowBlock rows at a time (32 KiB, in L1), for every b:
  // each b's sum continues over the blocks (sumRows with `more`), scaled after the last
  thread_local std::vector<int64_t> cursor;
  if (cursor.size() < static_cast<size_t>(M)) cursor.resize(M);
  for (int64_t j = 0; j < N; j += 128) {
    const int64_t width = N - j < 128 ? N - j : 128;
    std::fill(cursor.begin(), cursor.begin() + M, 0);
    for (int64_t k0 = 0; k0 < K; k0 += kRowBlock) {
      const bool last = k0 + kRowBlock >= K;
      for (int64_t b = 0; b < M; b++) {
        const int32_t* list = rows.data() + static_cast<size_t>(b) * K;
        const int64_t c0 = cursor[b];
        int64_t c1 = c0;
        while (c1 < counts[b] && list[c1] < k0 + kRowBlock) c1++;
        sumRows(B + j, static_cast<size_t>(ldb), list + c0, c1 - c0, width, alpha, last && alpha != 1.0f, k0 > 0, C + (r0 + b) * ldc + j);
        cursor[b] = c1;
      }
    }
  }
}

// Output rows [i0, i1) of C = alpha A^T B (TN), A binary K x M: for each column i of A, the rows b
// with A[b, i] = 1, then out[i, :] = alpha times the sum of B's rows b.
void binaryRowsTN(int64_t i0, int64_t i1, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                  float* C, int64_t ldc) {
  thread_local std::vector<int32_t> rows;
  thread_local std::vector<int64_t> counts;
  const int64_t M = i1 - i0;
  const size_t need = static_cast<size_t>(M) * static_cast<size_t>(K);
  if (rows.size() < need) rows.resize(need);
  if (counts.size() < static_cast<size_t>(M)) counts.resize(M);
  std::fill(counts.begin(), counts.begin() + M, 0);
  for (int64_t b = 0; b < K; b++) {
    const float* ar = A + b * lda + i0;
    for (int64_t i = 0; i < M; i++) {
      if (ar[i] == 1.0f) rows[static_cast<size_t>(i) * K + counts[i]++] = static_cast<int32_t>(b);
    }
  }
  for (int64_t i = 0; i < M; i++) {
    sumRows(B, static_cast<size_t>(ldb), rows.data() + static_cast<size_t>(i) * K, counts[i], N, alpha, true, false, C + (i0 + i) * ldc);
  }
}

#ifdef __AVX__
// dst (8 x 8, ld ldd) = src^T (8 x 8, ld lds) in eight 256-bit registers.
inline void transpose8(const float* s, int64_t lds, float* d, int64_t ldd) {
  __m256 r[8], t[8];
  for (int q = 0; q < 8; q++) r[q] = _mm256_loadu_ps(s + q * lds);
  for (int q = 0; q < 8; q += 2) {
    t[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
    t[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
  }
  for (int q = 0; q < 8; q += 4) {
    r[q] = _mm256_shuffle_ps(t[q], t[q + 2], 0x44);
    r[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], 0xEE);
    r[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], 0x44);
    r[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], 0xEE);
  }
  for (int q = 0; q < 4; q++) {
    _mm256_storeu_ps(d + q * ldd, _mm256_permute2f128_ps(r[q], r[q + 4], 0x20));
    _mm256_storeu_ps(d + (q + 4) * ldd, _mm256_permute2f128_ps(r[q], r[q + 4], 0x31));
  }
}
#endif

// Rows [r0, r1) of dst (K x N) = src^T (src N x K, ld lds), in 32 x 32 tiles (of 8 x 8 register
// transposes with AVX: 0.075 ms for 784 x 500 on one core, against 0.19 for element copies).
void transposeRows(int64_t r0, int64_t r1, int64_t N, const float* src, int64_t lds, float* dst) {
  for (int64_t k0 = r0; k0 < r1; k0 += 32) {
    const int64_t k1 = std::min(k0 + 32, r1);
    for (int64_t n0 = 0; n0 < N; n0 += 32) {
      const int64_t n1 = std::min(n0 + 32, N);
      for (int64_t k = k0; k < k1; k += 8) {
        for (int64_t n = n0; n < n1; n += 8) {
#ifdef __AVX__
          if (k + 8 <= k1 && n + 8 <= n1) {
            transpose8(src + n * lds + k, lds, dst + k * N + n, N);
            continue;
          }
#endif
          for (int64_t kk = k; kk < std::min(k + 8, k1); kk++) {
            for (int64_t nn = n; nn < std::min(n + 8, n1); nn++) dst[kk * N + nn] = src[nn * lds + kk];
          }
        }
      }
    }
  }
}

// Rows of work a part of the pool takes at least: about 100,000 adds (a few tens of microseconds).
int64_t minRows(int64_t addsPerRow) { return std::max<int64_t>(1, 100000 / std::max<int64_t>(1, addsPerRow)); }

// C (M x N, ldc) = alpha op(A) op(B) for a binary A (see above), or false when A is not binary or
// not sparse enough, or the case is TT (then the caller uses sgemm). NN and TN sum rows of B; NT
// sums rows of B^T, which it first writes (N K floats, far fewer than the p M N K adds it saves
// for the batches rbmlab multiplies). Run on the pool, split over the output rows.
bool binaryProduct(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                   const float* B, int64_t ldb, float* C, int64_t ldc) {
  if ((transA && transB) || K <= 0) return false;
  const size_t lenA = static_cast<size_t>(transA ? K : M) * static_cast<size_t>(lda);
  const double p = binaryDensity(A, lenA);
  if (p < 0 || p > kBinaryMaxDensity) return false;
  const int64_t addsPerRow = std::max<int64_t>(1, static_cast<int64_t>(p * static_cast<double>(K) * static_cast<double>(N)));
  if (transA) {
    pool().forRanges(M, minRows(addsPerRow), [&](int64_t i0, int64_t i1) { binaryRowsTN(i0, i1, N, K, alpha, A, lda, B, ldb, C, ldc); });
    return true;
  }
  if (transB) {
    thread_local std::vector<float> bt;
    const size_t need = static_cast<size_t>(K) * static_cast<size_t>(N);
    if (bt.size() < need) bt.resize(need);
    float* t = bt.data();
    pool().forRanges(K, minRows(N), [&](int64_t k0, int64_t k1) { transposeRows(k0, k1, N, B, ldb, t); });
    B = t;
    ldb = N;
  }
  pool().forRanges(M, minRows(addsPerRow), [&](int64_t r0, int64_t r1) { binaryRowsNN(r0, r1, N, K, alpha, A, lda, B, ldb, C, ldc); });
  return true;
}

// sgemm with beta = 0, or the binary kernel where it applies (see above).
void sgemm0(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
            int64_t ldb, float* C, int64_t ldc) {
  if (binaryProduct(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc)) return;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, 0.0f, C, ldc);
}

// C (M x N, ldc) = alpha op(A) op(B) + beta C, row-major, any mix of float32 and float64.
// single = true rounds every operand to float32 and multiplies with sgemm (float32 accumulation);
// a float64 C then receives the float32 product (plus beta C in float64).
void gemm(bool single, bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const Arr& A, int64_t lda,
          const Arr& B, int64_t ldb, double beta, const Arr& C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  const size_t nC = static_cast<size_t>(M) * ldc;
  if (K == 0) {
    // BLAS semantics: beta = 0 ignores what C held (NaN included)
    if (C.f32()) { float* c = static_cast<float*>(C.data); for (size_t k = 0; k < nC; k++) c[k] = beta == 0 ? 0.0f : static_cast<float>(beta * c[k]); }
    else { double* c = static_cast<double*>(C.data); for (size_t k = 0; k < nC; k++) c[k] = beta == 0 ? 0.0 : beta * c[k]; }
    return;
  }
  const CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  const size_t nA = static_cast<size_t>(transA ? K : M) * lda;
  const size_t nB = static_cast<size_t>(transB ? N : K) * ldb;
  if ((single || (A.f32() && B.f32())) && !(A.f32() && B.f32() && C.f32())) {
    F32View a(A, nA), b(B, nB);
    // the float32 product, in a buffer kept between calls (sgemm with beta = 0 overwrites it:
    // no zeroing, no allocation per call; one per thread, as studies run on worker threads; it
    // keeps the size of the largest product a thread has made)
    thread_local std::vector<float> c;
    if (c.size() < nC) c.resize(nC);
    sgemm0(transA, transB, M, N, K, static_cast<float>(alpha), a.data, lda, b.data, ldb, c.data(), ldc);
    if (C.f32()) {
      float* out = static_cast<float*>(C.data);
      for (size_t k = 0; k < nC; k++) out[k] = beta == 0 ? c[k] : static_cast<float>(beta * out[k] + c[k]);
    } else {
      double* out = static_cast<double*>(C.data);
      for (size_t k = 0; k < nC; k++) out[k] = beta == 0 ? static_cast<double>(c[k]) : beta * out[k] + static_cast<double>(c[k]);
    }
    return;
  }
  if (A.f32() && B.f32() && C.f32()) {
    if (beta == 0) {
      sgemm0(transA, transB, M, N, K, static_cast<float>(alpha), static_cast<const float*>(A.data), lda, static_cast<const float*>(B.data), ldb,
             static_cast<float*>(C.data), ldc);
      return;
    }
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, static_cast<float>(alpha), static_cast<const float*>(A.data), lda,
                static_cast<const float*>(B.data), ldb, static_cast<float>(beta), static_cast<float*>(C.data), ldc);
    return;
  }
  F64View a(A, nA), b(B, nB);
  if (!C.f32()) {
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a.data, lda, b.data, ldb, beta, static_cast<double*>(C.data), ldc);
    return;
  }
  float* c32 = static_cast<float*>(C.data);
  std::vector<double> c(nC, 0.0);  // beta = 0: what C held is ignored
  if (beta != 0) for (size_t k = 0; k < nC; k++) c[k] = c32[k];
  cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, alpha, a.data, lda, b.data, ldb, beta, c.data(), ldc);
  for (size_t k = 0; k < nC; k++) c32[k] = static_cast<float>(c[k]);
}

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

bool getSingle(napi_env env, napi_callback_info info, size_t at) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc <= at) return false;
  bool single = false;
  napi_get_value_bool(env, argv[at], &single);
  return single;
}

// hiddenInputs(v, W, batch, n, m, out, single?)
napi_value HiddenInputs(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Arr v, w, out;
  int64_t batch, n, m;
  if (!getArgs(env, info, 6, argv) || !getArr(env, argv[0], "v", &v) || !getArr(env, argv[1], "weights", &w) ||
      !getInt(env, argv[2], "batch", &batch) || !getInt(env, argv[3], "n", &n) || !getInt(env, argv[4], "m", &m) ||
      !getArr(env, argv[5], "out", &out) || !needLength(env, v, "v", batch * n) || !needLength(env, w, "weights", n * m) ||
      !needLength(env, out, "out", batch * m)) {
    return nullptr;
  }
  gemm(getSingle(env, info, 6), false, false, batch, m, n, 1.0, v, n, w, m, 0.0, out, m);
  return Undefined(env);
}

// visibleInputs(h, W, batch, n, m, out, single?)
napi_value VisibleInputs(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Arr h, w, out;
  int64_t batch, n, m;
  if (!getArgs(env, info, 6, argv) || !getArr(env, argv[0], "h", &h) || !getArr(env, argv[1], "weights", &w) ||
      !getInt(env, argv[2], "batch", &batch) || !getInt(env, argv[3], "n", &n) || !getInt(env, argv[4], "m", &m) ||
      !getArr(env, argv[5], "out", &out) || !needLength(env, h, "h", batch * m) || !needLength(env, w, "weights", n * m) ||
      !needLength(env, out, "out", batch * n)) {
    return nullptr;
  }
  gemm(getSingle(env, info, 6), false, true, batch, n, m, 1.0, h, m, w, m, 0.0, out, n);
  return Undefined(env);
}

// The arguments (v, a, batch, n, m, scale, out) shared by addOuterProducts and outerProducts, checked:
// v batch x n, a batch x m, out n x m. False (with a JavaScript error thrown) when they are not.
struct OuterArgs {
  Arr v, a, out;
  int64_t batch, n, m;
  double scale;
};

bool getOuterArgs(napi_env env, napi_callback_info info, OuterArgs* o) {
  napi_value argv[7];
  if (!getArgs(env, info, 7, argv) || !getArr(env, argv[0], "v", &o->v) || !getArr(env, argv[1], "a", &o->a) ||
      !getInt(env, argv[2], "batch", &o->batch) || !getInt(env, argv[3], "n", &o->n) || !getInt(env, argv[4], "m", &o->m)) {
    return false;
  }
  if (napi_get_value_double(env, argv[5], &o->scale) != napi_ok) {
    throwError(env, "type", "rbmlab native: scale must be a number");
    return false;
  }
  return getArr(env, argv[6], "out", &o->out) && needLength(env, o->v, "v", o->batch * o->n) &&
         needLength(env, o->a, "a", o->batch * o->m) && needLength(env, o->out, "out", o->n * o->m);
}

// addOuterProducts(v, a, batch, n, m, scale, out, single?)
napi_value AddOuterProducts(napi_env env, napi_callback_info info) {
  OuterArgs args;
  if (!getOuterArgs(env, info, &args)) return nullptr;
  Arr &v = args.v, &a = args.a, &out = args.out;
  const int64_t batch = args.batch, n = args.n, m = args.m;
  const double scale = args.scale;
  if (out.f32()) {
    throwError(env, "type", "rbmlab native: addOuterProducts accumulates into a Float64Array");
    return nullptr;
  }
  gemm(getSingle(env, info, 7), true, false, n, m, batch, scale, v, n, a, m, 1.0, out, m);
  return Undefined(env);
}

// outerProducts(v, a, batch, n, m, scale, out): out (n x m) = scale v^T a, v: batch x n, a: batch x m,
// all Float32Array: sgemm (or the binary kernel) with beta = 0 (what out held is ignored, so nothing needs clearing);
// scale is rounded to float32 and applied inside sgemm, as addOuterProducts does on the same operands.
napi_value OuterProducts(napi_env env, napi_callback_info info) {
  OuterArgs args;
  if (!getOuterArgs(env, info, &args)) return nullptr;
  Arr &v = args.v, &a = args.a, &out = args.out;
  const int64_t batch = args.batch, n = args.n, m = args.m;
  const double scale = args.scale;
  if (!(v.f32() && a.f32() && out.f32())) {
    throwError(env, "type", "rbmlab native: outerProducts takes Float32Arrays");
    return nullptr;
  }
  gemm(true, true, false, n, m, batch, scale, v, n, a, m, 0.0, out, m);
  return Undefined(env);
}

// ---- counter-based uniforms and a float32 sigmoid ----

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// e^t for t <= 0 (t below -87 is taken as -87: e^-87 = 1.6e-38). Cephes expf: t = n ln2 + r,
// |r| <= ln2/2, e^r by a degree-7 polynomial, times 2^n through the exponent bits.
inline float expNonPositive(float t) {
  t = t >= -87.0f ? t : -87.0f;  // also maps NaN to -87
  const float n = std::floor(t * 1.44269504088896341f + 0.5f);
  const float r = (t - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The smaller tail of sigmoid: min(sigmoid(x), 1 - sigmoid(x)) = e^-|x| / (1 + e^-|x|), with
// relative accuracy whichever side it is on; NaN gives 0.
inline float sigmoidTail32(float x) {
  const float e = expNonPositive(-std::fabs(x));
  return x == x ? e / (1.0f + e) : 0.0f;
}

constexpr int kChunk = 256;

// State = hi with probability p = sigmoid(c x): with q the smaller tail in float32, the threshold
// is t = q (c x < 0) or t = 1 - q (c x >= 0) in float64, where 1 - q is exact for q >= 2^-30, so
// both tails keep the relative accuracy of q (about 2e-7) down to 2^-30 (and to 2^-53 absolute
// below); the draw is hi iff u < t.
template <typename In, typename Out>
void sampleRows(const In* x, const double* bias, int64_t batch, int64_t size, int kind, uint64_t k0, uint64_t k1, int64_t first, Out* out) {
  const float c = kind == 1 ? 2.0f : 1.0f;
  const Out lo = kind == 1 ? Out(-1) : Out(0);
  const Out hi = Out(1);
  alignas(64) double th[kChunk];
  for (int64_t b = 0; b < batch; b++) {
    const In* xr = x + b * size;
    Out* orow = out + b * size;
    for (int64_t j0 = 0; j0 < size; j0 += kChunk) {
      const int len = static_cast<int>(size - j0 < kChunk ? size - j0 : kChunk);
      for (int t = 0; t < len; t++) {
        const double xb = static_cast<double>(xr[j0 + t]) + (bias != nullptr ? bias[j0 + t] : 0.0);
        const float z = c * static_cast<float>(xb);
        const double q = static_cast<double>(sigmoidTail32(z));
        th[t] = z >= 0.0f ? 1.0 - q : q;
      }
      const uint64_t base = static_cast<uint64_t>(first + b * size + j0) + 1;
      for (int t = 0; t < len; t++) {
        const uint64_t bits = mix64(k1 ^ mix64(k0 + kGolden * (base + static_cast<uint64_t>(t))));
        const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
        orow[j0 + t] = u < th[t] ? hi : lo;
      }
    }
  }
}

bool getWord(napi_env env, napi_value value, uint64_t* out) {
  int64_t w;
  if (!getInt(env, value, "key word", &w, 4294967295LL)) return false;
  *out = static_cast<uint64_t>(w);
  return true;
}

// sampleBinary(x, bias | null, batch, size, kind, k0, k1, k2, k3, out)
napi_value SampleBinary(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  Arr x, out, bias{};
  int64_t batch, size, kind;
  uint64_t w[4];
  if (!getArgs(env, info, 10, argv) || !getArr(env, argv[0], "inputs", &x)) return nullptr;
  napi_valuetype bt;
  napi_typeof(env, argv[1], &bt);
  const bool hasBias = bt != napi_null && bt != napi_undefined;
  if (hasBias && !getArr(env, argv[1], "bias", &bias)) return nullptr;
  if (!getInt(env, argv[2], "batch", &batch) || !getInt(env, argv[3], "size", &size) || !getInt(env, argv[4], "kind", &kind, 1)) return nullptr;
  for (int k = 0; k < 4; k++) if (!getWord(env, argv[5 + k], &w[k])) return nullptr;
  if (!getArr(env, argv[9], "out", &out) || !needLength(env, x, "inputs", batch * size) || !needLength(env, out, "out", batch * size)) return nullptr;
  if (hasBias && (bias.f32() || !needLength(env, bias, "bias", size))) {
    if (bias.f32()) throwError(env, "type", "rbmlab native: bias must be a Float64Array");
    return nullptr;
  }
  const uint64_t k0 = (w[0] << 32) | w[1];
  const uint64_t k1 = (w[2] << 32) | w[3];
  const double* b = hasBias ? static_cast<const double*>(bias.data) : nullptr;
  const int kd = static_cast<int>(kind);
  // rows [r0, r1) on each of the pool's threads: draw c of the call is row r's c - r size (a
  // draw, two mixes and an exp, costs about as much as 4 adds of the row sums)
  pool().forRanges(batch, minRows(4 * size), [&](int64_t r0, int64_t r1) {
    const int64_t off = r0 * size;
    const int64_t rows = r1 - r0;
    if (x.f32() && out.f32()) sampleRows(static_cast<const float*>(x.data) + off, b, rows, size, kd, k0, k1, off, static_cast<float*>(out.data) + off);
    else if (x.f32()) sampleRows(static_cast<const float*>(x.data) + off, b, rows, size, kd, k0, k1, off, static_cast<double*>(out.data) + off);
    else if (out.f32()) sampleRows(static_cast<const double*>(x.data) + off, b, rows, size, kd, k0, k1, off, static_cast<float*>(out.data) + off);
    else sampleRows(static_cast<const double*>(x.data) + off, b, rows, size, kd, k0, k1, off, static_cast<double*>(out.data) + off);
  });
  return Undefined(env);
}

// sigmoidTail32(x, out): out[k] = the kernel's float32 smaller tail of sigmoid(x[k]) (for the
// precision tests).
napi_value SigmoidTail32Array(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  Arr x, out;
  if (!getArgs(env, info, 2, argv) || !getArr(env, argv[0], "x", &x) || !getArr(env, argv[1], "out", &out) ||
      !needLength(env, out, "out", static_cast<int64_t>(x.length))) {
    return nullptr;
  }
  for (size_t k = 0; k < x.length; k++) {
    const float v = x.f32() ? static_cast<const float*>(x.data)[k] : static_cast<float>(static_cast<const double*>(x.data)[k]);
    const float s = sigmoidTail32(v);
    if (out.f32()) static_cast<float*>(out.data)[k] = s;
    else static_cast<double*>(out.data)[k] = s;
  }
  return Undefined(env);
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj, blas, core, threads;
  napi_create_object(env, &obj);
  const char* config = openblas_get_config();
  const char* corename = openblas_get_corename();
  napi_create_string_utf8(env, config ? config : "", NAPI_AUTO_LENGTH, &blas);
  napi_create_string_utf8(env, corename ? corename : "", NAPI_AUTO_LENGTH, &core);
  napi_create_int32(env, openblas_get_num_threads(), &threads);
  napi_set_named_property(env, obj, "blas", blas);
  napi_set_named_property(env, obj, "core", core);
  napi_set_named_property(env, obj, "threads", threads);
  return obj;
}

// ---- training: activations and the parameter update ----

// out[b, j] = f(x[b, j] + bias[j]) and sums[j] += sum_b out[b, j], with f = sigmoid (kind 0) or
// tanh (kind 1): the activations Gamma'(x + bias) of bernoulli and spin units. A float32 out is
// computed in float32 (the fused sampler's e^t: relative error of sigmoid about 2e-7, absolute
// error of tanh about 2e-7); a float64 out in float64 with std::exp. The sums are float64.
// Columns [0, size) of rows with stride ld (the pool gives each thread a range of columns). A
// column's entry is computed the same way wherever the range starts, vector body or scalar tail,
// as long as the compiler contracts both alike (GCC does here; native-pool.test.ts checks uneven
// splits against one thread, bit for bit).
template <typename In>
void activationRows(const In* x, const double* bias, int64_t batch, int64_t size, int64_t ld, int kind, float* out, double* sums) {
  for (int64_t b = 0; b < batch; b++) {
    const In* xr = x + b * ld;
    float* orow = out + b * ld;
    for (int64_t j = 0; j < size; j++) {
      const float z = static_cast<float>(static_cast<double>(xr[j]) + (bias != nullptr ? bias[j] : 0.0));
      float a;
      if (kind == 0) {
        const float e = expNonPositive(-std::fabs(z));  // sigmoid(z) = 1/(1+e) (z >= 0), e/(1+e) (z < 0)
        a = (z >= 0.0f ? 1.0f : e) / (1.0f + e);
      } else {
        const float e = expNonPositive(-2.0f * std::fabs(z));  // tanh|z| = (1-e)/(1+e)
        const float t = (1.0f - e) / (1.0f + e);
        a = z >= 0.0f ? t : -t;
      }
      orow[j] = z == z ? a : z;  // NaN in, NaN out
    }
    for (int64_t j = 0; j < size; j++) sums[j] += orow[j];
  }
}

template <typename In>
void activationRows(const In* x, const double* bias, int64_t batch, int64_t size, int64_t ld, int kind, double* out, double* sums) {
  for (int64_t b = 0; b < batch; b++) {
    const In* xr = x + b * ld;
    double* orow = out + b * ld;
    for (int64_t j = 0; j < size; j++) {
      const double z = static_cast<double>(xr[j]) + (bias != nullptr ? bias[j] : 0.0);
      orow[j] = kind == 0 ? (z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z))) : std::tanh(z);
    }
    for (int64_t j = 0; j < size; j++) sums[j] += orow[j];
  }
}

// binaryActivations(x, bias | null, batch, size, kind, out, sums)
napi_value BinaryActivations(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  Arr x, out, sums, bias{};
  int64_t batch, size, kind;
  if (!getArgs(env, info, 7, argv) || !getArr(env, argv[0], "inputs", &x)) return nullptr;
  napi_valuetype bt;
  napi_typeof(env, argv[1], &bt);
  const bool hasBias = bt != napi_null && bt != napi_undefined;
  if (hasBias && !getArr(env, argv[1], "bias", &bias)) return nullptr;
  if (!getInt(env, argv[2], "batch", &batch) || !getInt(env, argv[3], "size", &size) || !getInt(env, argv[4], "kind", &kind, 1) ||
      !getArr(env, argv[5], "out", &out) || !getArr(env, argv[6], "sums", &sums) || !needLength(env, x, "inputs", batch * size) ||
      !needLength(env, out, "out", batch * size) || !needLength(env, sums, "sums", size)) {
    return nullptr;
  }
  if (hasBias && (bias.f32() || !needLength(env, bias, "bias", size))) {
    if (bias.f32()) throwError(env, "type", "rbmlab native: bias must be a Float64Array");
    return nullptr;
  }
  if (sums.f32()) {
    throwError(env, "type", "rbmlab native: sums must be a Float64Array");
    return nullptr;
  }
  const double* b = hasBias ? static_cast<const double*>(bias.data) : nullptr;
  double* sm = static_cast<double*>(sums.data);
  const int kd = static_cast<int>(kind);
  // columns [j0, j1) on each of the pool's threads (each column's sum keeps its order over b);
  // an entry (exp, divide, add) costs about 8 adds of the row sums, and a range is at least one
  // 16-float vector wide
  pool().forRanges(size, std::max<int64_t>(16, minRows(8 * batch)), [&](int64_t j0, int64_t j1) {
    const double* bj = b != nullptr ? b + j0 : nullptr;
    if (x.f32() && out.f32()) activationRows(static_cast<const float*>(x.data) + j0, bj, batch, j1 - j0, size, kd, static_cast<float*>(out.data) + j0, sm + j0);
    else if (x.f32()) activationRows(static_cast<const float*>(x.data) + j0, bj, batch, j1 - j0, size, kd, static_cast<double*>(out.data) + j0, sm + j0);
    else if (out.f32()) activationRows(static_cast<const double*>(x.data) + j0, bj, batch, j1 - j0, size, kd, static_cast<float*>(out.data) + j0, sm + j0);
    else activationRows(static_cast<const double*>(x.data) + j0, bj, batch, j1 - j0, size, kd, static_cast<double*>(out.data) + j0, sm + j0);
  });
  return Undefined(env);
}

napi_value Boolean(napi_env env, bool value) {
  napi_value v;
  napi_get_boolean(env, value, &v);
  return v;
}

// allFinite(x: Float32Array | Float64Array): true iff no entry is NaN or infinite (x - x is 0
// exactly then).
template <typename T>
bool allFiniteOf(const T* d, size_t length) {
  int bad = 0;
  for (size_t k = 0; k < length; k++) bad |= !(d[k] - d[k] == T(0));
  return bad == 0;
}

// max |x[k]| through the bits: with the sign bit cleared, the bits of non-negative floats order as
// the values do, and NaN's lie above infinity's, so an integer maximum (which vectorizes; a float
// maximum with NaN handling does not, and ran at 4 ns an entry) gives both answers.
template <typename T, typename U>
double maxAbsOf(const T* d, size_t length) {
  static_assert(sizeof(T) == sizeof(U), "bits of the same width");
  constexpr U absMask = ~(U(1) << (8 * sizeof(U) - 1));
  const T inf = std::numeric_limits<T>::infinity();
  U infBits;
  std::memcpy(&infBits, &inf, sizeof inf);
  U most = 0;
  for (size_t k = 0; k < length; k++) {
    U bits;
    std::memcpy(&bits, d + k, sizeof bits);
    bits &= absMask;
    most = bits > most ? bits : most;
  }
  if (most > infBits) return std::nan("");
  T value;
  std::memcpy(&value, &most, sizeof value);
  return static_cast<double>(value);
}

// maxAbs(x: Float32Array | Float64Array): the largest |x[k]| (0 when empty), NaN if some entry is NaN.
napi_value MaxAbs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Arr x;
  if (!getArgs(env, info, 1, argv) || !getArr(env, argv[0], "x", &x)) return nullptr;
  napi_value out;
  napi_create_double(env, x.f32() ? maxAbsOf<float, uint32_t>(static_cast<const float*>(x.data), x.length) : maxAbsOf<double, uint64_t>(static_cast<const double*>(x.data), x.length), &out);
  return out;
}

napi_value AllFinite(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Arr x;
  if (!getArgs(env, info, 1, argv) || !getArr(env, argv[0], "x", &x)) return nullptr;
  return Boolean(env, x.f32() ? allFiniteOf(static_cast<const float*>(x.data), x.length) : allFiniteOf(static_cast<const double*>(x.data), x.length));
}

// addStep(target: Float64Array, step: Float64Array, mirror: Float32Array | null): target += step
// and, when given, mirror = float32(target) in the same pass; true iff every updated entry is finite.
napi_value AddStep(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  Arr t, d, mirror{};
  if (!getArgs(env, info, 3, argv) || !getArr(env, argv[0], "target", &t) || !getArr(env, argv[1], "step", &d)) return nullptr;
  napi_valuetype mt;
  napi_typeof(env, argv[2], &mt);
  const bool hasMirror = mt != napi_null && mt != napi_undefined;
  if (hasMirror && !getArr(env, argv[2], "mirror", &mirror)) return nullptr;
  if (t.f32() || d.f32() || (hasMirror && !mirror.f32())) {
    throwError(env, "type", "rbmlab native: addStep takes Float64Array target and step and a Float32Array mirror");
    return nullptr;
  }
  if (!needLength(env, d, "step", static_cast<int64_t>(t.length)) || (hasMirror && !needLength(env, mirror, "mirror", static_cast<int64_t>(t.length)))) {
    return nullptr;
  }
  double* p = static_cast<double*>(t.data);
  const double* s = static_cast<const double*>(d.data);
  int bad = 0;
  if (hasMirror) {
    float* m = static_cast<float*>(mirror.data);
    for (size_t k = 0; k < t.length; k++) {
      const double x = p[k] + s[k];
      p[k] = x;
      m[k] = static_cast<float>(x);
      bad |= !(x - x == 0.0);
    }
  } else {
    for (size_t k = 0; k < t.length; k++) {
      const double x = p[k] + s[k];
      p[k] = x;
      bad |= !(x - x == 0.0);
    }
  }
  return Boolean(env, bad == 0);
}

// The pass of sgdWeightStep. GCC contracts x + g lr into a fused multiply-add even under
// -std=c++17 (measured: the JavaScript path's bits then differ in the last place), so contraction
// is off for this function: g lr is rounded before the add, as in JavaScript.
__attribute__((optimize("fp-contract=off"))) bool sgdWeightPass(double* p, const float* a, const float* b, double lr, float* mr, size_t length) {
  int bad = 0;
  for (size_t k = 0; k < length; k++) {
    const double g = (0.0 + static_cast<double>(a[k])) + static_cast<double>(b[k]);
    const double x = p[k] + g * lr;
    p[k] = x;
    mr[k] = static_cast<float>(x);
    bad |= !(x - x == 0.0);
  }
  return bad == 0;
}

// sgdWeightStep(w: Float64Array, g1: Float32Array, g2: Float32Array, lr, mirror: Float32Array):
// the SGD update of the weights from the two float32 minibatch sums of the gradient (data term
// g1 = s1 v^T a, model term g2 = -s2 v'^T a', each from outerProducts), in one pass:
//     g = (0 + g1) + g2 (float64),  w <- w + lr g,  mirror = float32(w).
// These are the float64 operations, in the same order, that clearing a float64 gradient, adding
// both sums into it (addOuterProducts), scaling it by lr (the sgd optimizer) and addStep make, so
// the bits are the same (no FMA contraction: -std=c++17). The caller checks g1 and g2 with
// allFinite first (a step that is not finite must leave w as it was); true iff every updated w
// is finite.
napi_value SgdWeightStep(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Arr w, g1, g2, mirror;
  double lr;
  if (!getArgs(env, info, 5, argv) || !getArr(env, argv[0], "weights", &w) || !getArr(env, argv[1], "g1", &g1) ||
      !getArr(env, argv[2], "g2", &g2)) {
    return nullptr;
  }
  if (napi_get_value_double(env, argv[3], &lr) != napi_ok) {
    throwError(env, "type", "rbmlab native: lr must be a number");
    return nullptr;
  }
  if (!getArr(env, argv[4], "mirror", &mirror)) return nullptr;
  if (w.f32() || !g1.f32() || !g2.f32() || !mirror.f32()) {
    throwError(env, "type", "rbmlab native: sgdWeightStep takes Float64Array weights and Float32Array g1, g2 and mirror");
    return nullptr;
  }
  const int64_t len = static_cast<int64_t>(w.length);
  if (!needLength(env, g1, "g1", len) || !needLength(env, g2, "g2", len) || !needLength(env, mirror, "mirror", len)) return nullptr;
  // halves (thirds, ...) of the entries on the pool's threads: where the row sums made the
  // gradient sums in as many parts, the same rows of W, so that each thread mostly reads sums it
  // wrote (only a matter of cache: every entry is its own float64 operations)
  std::atomic<bool> finite{true};
  double* p = static_cast<double*>(w.data);
  const float* a = static_cast<const float*>(g1.data);
  const float* c = static_cast<const float*>(g2.data);
  float* mr = static_cast<float*>(mirror.data);
  pool().forRanges(len, 32768, [&](int64_t k0, int64_t k1) {
    if (!sgdWeightPass(p + k0, a + k0, c + k0, lr, mr + k0, static_cast<size_t>(k1 - k0))) finite.store(false, std::memory_order_relaxed);
  });
  return Boolean(env, finite.load());
}

// The loop of addColumnSums: out[i] -= -scale v[b, i], b outer and i inner, the float64 operations
// (rounded product, then the subtraction: no contraction) and order of the JavaScript loop of the
// gradient statistics, so the bits are the same.
template <typename T>
__attribute__((optimize("fp-contract=off"))) void columnSumsPass(const T* v, int64_t batch, int64_t n, double scale, double* out) {
  const double ns = -scale;
  for (int64_t b = 0; b < batch; b++) {
    const T* row = v + b * n;
    for (int64_t i = 0; i < n; i++) out[i] -= ns * static_cast<double>(row[i]);
  }
}

// addColumnSums(v, batch, n, scale, out: Float64Array): the visible-bias statistic of bernoulli and
// spin units, out[i] += scale sum_b v[b, i], as the JavaScript loop makes it (see columnSumsPass).
napi_value AddColumnSums(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  Arr v, out;
  int64_t batch, n;
  double scale;
  if (!getArgs(env, info, 5, argv) || !getArr(env, argv[0], "v", &v) || !getInt(env, argv[1], "batch", &batch) || !getInt(env, argv[2], "n", &n)) {
    return nullptr;
  }
  if (napi_get_value_double(env, argv[3], &scale) != napi_ok) {
    throwError(env, "type", "rbmlab native: scale must be a number");
    return nullptr;
  }
  if (!getArr(env, argv[4], "out", &out) || !needLength(env, v, "v", batch * n) || !needLength(env, out, "out", n)) return nullptr;
  if (out.f32()) {
    throwError(env, "type", "rbmlab native: addColumnSums accumulates into a Float64Array");
    return nullptr;
  }
  double* o = static_cast<double*>(out.data);
  if (v.f32()) columnSumsPass(static_cast<const float*>(v.data), batch, n, scale, o);
  else columnSumsPass(static_cast<const double*>(v.data), batch, n, scale, o);
  return Undefined(env);
}

// gatherRows(data, order: Uint32Array, start, count, n, out): out[r n + j] = data[order[start + r] n + j]
// for r < count, j < n, converted to out's type (float64 -> float32 rounds to nearest, as
// Float32Array.set does): the trainer's shuffled minibatch. Every index is checked against data.
napi_value GatherRows(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  Arr data, out;
  int64_t start, count, n;
  if (!getArgs(env, info, 6, argv) || !getArr(env, argv[0], "data", &data)) return nullptr;
  bool isTyped = false;
  napi_is_typedarray(env, argv[1], &isTyped);
  napi_typedarray_type otype = napi_int8_array;
  size_t olen = 0;
  void* odata = nullptr;
  if (isTyped) {
    napi_value buffer;
    size_t offset;
    napi_get_typedarray_info(env, argv[1], &otype, &olen, &odata, &buffer, &offset);
  }
  if (!isTyped || otype != napi_uint32_array) {
    throwError(env, "type", "rbmlab native: order must be a Uint32Array");
    return nullptr;
  }
  if (!getInt(env, argv[2], "start", &start) || !getInt(env, argv[3], "count", &count) || !getInt(env, argv[4], "n", &n) ||
      !getArr(env, argv[5], "out", &out) || !needLength(env, out, "out", count * n)) {
    return nullptr;
  }
  if (start + count > static_cast<int64_t>(olen)) {
    throwError(env, "range", "rbmlab native: order has " + std::to_string(olen) + " entries, needs " + std::to_string(start + count));
    return nullptr;
  }
  const uint32_t* order = static_cast<const uint32_t*>(odata) + start;
  const int64_t rows = n == 0 ? 0 : static_cast<int64_t>(data.length) / n;
  for (int64_t r = 0; r < count; r++) {
    if (static_cast<int64_t>(order[r]) >= rows) {
      throwError(env, "range", "rbmlab native: row " + std::to_string(order[r]) + " is past the data's " + std::to_string(rows) + " rows");
      return nullptr;
    }
  }
  for (int64_t r = 0; r < count; r++) {
    const size_t from = static_cast<size_t>(order[r]) * n;
    const size_t to = static_cast<size_t>(r) * n;
    if (data.f32() && out.f32()) std::memcpy(static_cast<float*>(out.data) + to, static_cast<const float*>(data.data) + from, n * sizeof(float));
    else if (!data.f32() && !out.f32()) std::memcpy(static_cast<double*>(out.data) + to, static_cast<const double*>(data.data) + from, n * sizeof(double));
    else if (out.f32()) {
      const double* src = static_cast<const double*>(data.data) + from;
      float* dst = static_cast<float*>(out.data) + to;
      for (int64_t j = 0; j < n; j++) dst[j] = static_cast<float>(src[j]);
    } else {
      const float* src = static_cast<const float*>(data.data) + from;
      double* dst = static_cast<double*>(out.data) + to;
      for (int64_t j = 0; j < n; j++) dst[j] = src[j];
    }
  }
  return Undefined(env);
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t n;
  if (!getArgs(env, info, 1, argv) || !getInt(env, argv[0], "threads", &n, 1024)) return nullptr;
  if (n < 1) {
    throwError(env, "range", "rbmlab native: threads must be at least 1");
    return nullptr;
  }
  openblas_set_num_threads(static_cast<int>(n));
  if (!pool().setThreads(static_cast<int>(n))) {
    throwError(env, "range", "rbmlab native: could not start " + std::to_string(n - 1) + " worker threads (the pool has " +
                                 std::to_string(pool().threads()) + " threads)");
    return nullptr;
  }
  return Undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"hiddenInputs", nullptr, HiddenInputs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"visibleInputs", nullptr, VisibleInputs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addOuterProducts", nullptr, AddOuterProducts, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sampleBinary", nullptr, SampleBinary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sigmoidTail32", nullptr, SigmoidTail32Array, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binaryActivations", nullptr, BinaryActivations, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"outerProducts", nullptr, OuterProducts, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgdWeightStep", nullptr, SgdWeightStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addColumnSums", nullptr, AddColumnSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatherRows", nullptr, GatherRows, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxAbs", nullptr, MaxAbs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allFinite", nullptr, AllFinite, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addStep", nullptr, AddStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
