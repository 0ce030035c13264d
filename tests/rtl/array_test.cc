// sa_array (Verilated, 4x3 and 16x16) against the golden GEMM: random shapes from a fixed seed,
// extreme operands and accumulator wrap, all checked bit for bit (int32 and requantized).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vsa_array_16x16.h"
#include "Vsa_array_4x3.h"
#include "host/golden/golden.h"
#include "sim/array_driver.h"

namespace sasim {
namespace {

struct GemmCase {
  int m, n, k;
  std::vector<uint8_t> a;
  std::vector<int8_t> b;
  std::vector<int32_t> bias;
  RequantParams requant;
};

GemmCase RandomCase(std::mt19937& rng, int max_m, int max_n, int max_k) {
  GemmCase c;
  c.m = std::uniform_int_distribution<int>(1, max_m)(rng);
  c.n = std::uniform_int_distribution<int>(1, max_n)(rng);
  c.k = std::uniform_int_distribution<int>(1, max_k)(rng);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> bias(-100000, 100000);
  c.a.resize(static_cast<size_t>(c.m) * c.k);
  c.b.resize(static_cast<size_t>(c.k) * c.n);
  c.bias.resize(c.n);
  for (auto& v : c.a) v = static_cast<uint8_t>(byte(rng));
  for (auto& v : c.b) v = static_cast<int8_t>(byte(rng) - 128);
  for (auto& v : c.bias) v = bias(rng);
  c.requant.relu = std::bernoulli_distribution(0.5)(rng);
  c.requant.shift = std::uniform_int_distribution<int>(0, 20)(rng);
  c.requant.rounding = std::bernoulli_distribution(0.5)(rng) ? Rounding::kNearestEven
                                                             : Rounding::kFloor;
  return c;
}

template <class Model>
void ExpectMatchesGolden(ArrayDriver<Model>& driver, const GemmCase& c, int case_index) {
  const auto run = driver.RunGemm(c.m, c.n, c.k, c.a, c.b, c.bias, c.requant);
  const auto acc = golden::GemmAcc(c.m, c.n, c.k, c.a, c.b, c.bias);
  const auto out = golden::RequantizeAll(acc, c.requant);
  for (size_t i = 0; i < acc.size(); ++i) {
    ASSERT_EQ(run.acc[i], acc[i]) << "case " << case_index << " (M=" << c.m << " N=" << c.n
                                  << " K=" << c.k << ") acc index " << i;
    ASSERT_EQ(run.out[i], out[i]) << "case " << case_index << " output index " << i;
  }
  // Cycles: one fold per output tile, each max(K, Rows) long; the last fold's results leave
  // Rows+Cols-1 cycles after its last step and take Rows cycles (sa_array's stated latency).
  const int tiles_m = (c.m + driver.rows() - 1) / driver.rows();
  const int tiles_n = (c.n + driver.cols() - 1) / driver.cols();
  const uint64_t folds = static_cast<uint64_t>(tiles_m) * tiles_n;
  EXPECT_EQ(run.folds, folds);
  const uint64_t fold_cycles = std::max(c.k, driver.rows());
  EXPECT_EQ(run.cycles, (folds - 1) * fold_cycles + c.k + 2 * driver.rows() + driver.cols() - 2);
}

TEST(ArrayRtlTest, RandomGemms4x3) {
  ArrayDriver<Vsa_array_4x3> driver(4, 3);
  std::mt19937 rng(2026);
  for (int i = 0; i < 3000; ++i) {
    ExpectMatchesGolden(driver, RandomCase(rng, 11, 8, 24), i);
    if (HasFatalFailure()) return;
  }
}

TEST(ArrayRtlTest, ReductionOfOneAndShortFolds4x3) {
  ArrayDriver<Vsa_array_4x3> driver(4, 3);
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    GemmCase c = RandomCase(rng, 13, 7, 1);  // K = 1: every fold is all bubbles but one step
    ExpectMatchesGolden(driver, c, i);
    if (HasFatalFailure()) return;
  }
}

TEST(ArrayRtlTest, RandomGemms16x16) {
  ArrayDriver<Vsa_array_16x16> driver(16, 16);
  std::mt19937 rng(16);
  for (int i = 0; i < 200; ++i) {
    ExpectMatchesGolden(driver, RandomCase(rng, 40, 40, 80), i);
    if (HasFatalFailure()) return;
  }
}

TEST(ArrayRtlTest, ExtremeOperands16x16) {
  ArrayDriver<Vsa_array_16x16> driver(16, 16);
  const int m = 17, n = 18, k = 300;
  struct Extreme {
    uint8_t act;
    int8_t wgt;
  };
  // x = 0 is -128: (-128)(-128) is the largest product, (-128)(127) and 127(-128) the smallest.
  for (Extreme e : {Extreme{0, -128}, Extreme{0, 127}, Extreme{255, -128}, Extreme{255, 127},
                    Extreme{128, -128}, Extreme{0, 0}}) {
    GemmCase c{m, n, k, std::vector<uint8_t>(static_cast<size_t>(m) * k, e.act),
               std::vector<int8_t>(static_cast<size_t>(k) * n, e.wgt),
               std::vector<int32_t>(n, 0), RequantParams{false, 12, Rounding::kNearestEven}};
    ExpectMatchesGolden(driver, c, e.act * 1000 + e.wgt);
    if (HasFatalFailure()) return;
  }
}

TEST(ArrayRtlTest, AccumulatorWrapsAsTwosComplement) {
  ArrayDriver<Vsa_array_4x3> driver(4, 3);
  const int32_t max = std::numeric_limits<int32_t>::max();
  const int m = 4, n = 3, k = 10;
  // Ten products of +16384 on top of a bias just below INT32_MAX: the sum wraps negative.
  GemmCase c{m, n, k, std::vector<uint8_t>(m * k, 0), std::vector<int8_t>(k * n, -128),
             std::vector<int32_t>(n, max - 1000), RequantParams{false, 0, Rounding::kFloor}};
  const auto run = driver.RunGemm(c.m, c.n, c.k, c.a, c.b, c.bias, c.requant);
  const int64_t exact = int64_t{max} - 1000 + 10 * 16384;
  const auto wrapped = static_cast<int32_t>(exact - (int64_t{1} << 32));
  for (size_t i = 0; i < run.acc.size(); ++i) {
    EXPECT_EQ(run.acc[i], wrapped) << "index " << i;
    EXPECT_EQ(run.out[i], 0) << "a wrapped (negative) sum clamps to 0 at index " << i;
  }
}

// Accumulation steps of real (pixel, channel) pairs whose exact sum leaves int32: what sa_pe
// flags and sa_array counts (docs/isa.md, counter acc_wraps).
uint64_t ReferenceWraps(const GemmCase& c) {
  uint64_t wraps = 0;
  for (int i = 0; i < c.m; ++i) {
    for (int j = 0; j < c.n; ++j) {
      int32_t acc = c.bias[j];
      for (int t = 0; t < c.k; ++t) {
        const int64_t product = (int64_t{c.a[static_cast<size_t>(i) * c.k + t]} - 128) *
                                c.b[static_cast<size_t>(t) * c.n + j];
        const int64_t exact = int64_t{acc} + product;
        if (exact < std::numeric_limits<int32_t>::min() ||
            exact > std::numeric_limits<int32_t>::max()) {
          ++wraps;
        }
        acc = static_cast<int32_t>(static_cast<uint32_t>(exact));
      }
    }
  }
  return wraps;
}

TEST(ArrayRtlTest, CountsWrappedAccumulations) {
  ArrayDriver<Vsa_array_4x3> driver(4, 3);
  const int32_t max = std::numeric_limits<int32_t>::max();
  const int32_t min = std::numeric_limits<int32_t>::min();
  // Upward: the bias step itself (bias + 16384) wraps, once per PE; the rest stay negative.
  {
    const int m = 4, n = 3, k = 10;
    GemmCase c{m, n, k, std::vector<uint8_t>(m * k, 0), std::vector<int8_t>(k * n, -128),
               std::vector<int32_t>(n, max - 1000), RequantParams{false, 0, Rounding::kFloor}};
    const auto run = driver.RunGemm(c.m, c.n, c.k, c.a, c.b, c.bias, c.requant);
    EXPECT_EQ(run.acc_wraps, 12u);
    EXPECT_EQ(run.acc_wraps, ReferenceWraps(c));
  }
  // Downward, with partial tiles (M, N not multiples of the array): only real pairs count.
  {
    const int m = 6, n = 5, k = 7;
    GemmCase c{m, n, k, std::vector<uint8_t>(m * k, 0), std::vector<int8_t>(k * n, 127),
               std::vector<int32_t>(n, min + 20000), RequantParams{true, 3, Rounding::kFloor}};
    const auto run = driver.RunGemm(c.m, c.n, c.k, c.a, c.b, c.bias, c.requant);
    EXPECT_EQ(run.acc_wraps, static_cast<uint64_t>(m) * n);  // the second step wraps
    EXPECT_EQ(run.acc_wraps, ReferenceWraps(c));
  }
  // Random operands on biases near both limits: the count is the reference's exactly.
  std::mt19937 rng(31);
  uint64_t total = 0;
  for (int i = 0; i < 200; ++i) {
    GemmCase c = RandomCase(rng, 9, 7, 40);
    for (auto& b : c.bias) {
      b = std::bernoulli_distribution(0.5)(rng) ? max - (b & 0x3ffff) : min + (b & 0x3ffff);
    }
    const auto run = driver.RunGemm(c.m, c.n, c.k, c.a, c.b, c.bias, c.requant);
    ASSERT_EQ(run.acc_wraps, ReferenceWraps(c)) << "case " << i;
    total += run.acc_wraps;
  }
  EXPECT_GT(total, 100u);  // not vacuous
}

TEST(ArrayRtlTest, OrdinaryGemmsDoNotWrap16x16) {
  ArrayDriver<Vsa_array_16x16> driver(16, 16);
  std::mt19937 rng(17);
  for (int i = 0; i < 20; ++i) {
    const GemmCase c = RandomCase(rng, 40, 40, 300);
    EXPECT_EQ(driver.RunGemm(c.m, c.n, c.k, c.a, c.b, c.bias, c.requant).acc_wraps, 0u);
  }
}

}  // namespace
}  // namespace sasim
