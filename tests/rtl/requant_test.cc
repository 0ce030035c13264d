// sa_requant (Verilated) against the C++ rule over every shift, both rounding modes, ReLU on and
// off, dense sweeps around each rounding and clamping boundary, and the int32 extremes.
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "Vsa_requant.h"
#include "contract/quant.h"
#include "sim/verilated_harness.h"

namespace sasim {
namespace {

class RequantRtlTest : public ::testing::Test {
 protected:
  uint8_t Rtl(int32_t acc, bool relu, int shift, Rounding mode) {
    sim_->acc_i = static_cast<uint32_t>(acc);
    sim_->relu_i = relu;
    sim_->shift_i = static_cast<uint8_t>(shift);
    sim_->round_i = static_cast<uint8_t>(mode);
    sim_.Eval();
    return sim_->q_o;
  }

  // Compares one value under all four (mode, relu) settings; returns the number checked.
  int CheckAll(int64_t value, int shift) {
    if (value < std::numeric_limits<int32_t>::min() ||
        value > std::numeric_limits<int32_t>::max()) {
      return 0;
    }
    const auto acc = static_cast<int32_t>(value);
    for (Rounding mode : {Rounding::kFloor, Rounding::kNearestEven}) {
      for (bool relu : {false, true}) {
        const uint8_t expected = Requantize(acc, relu, shift, mode);
        const uint8_t got = Rtl(acc, relu, shift, mode);
        if (expected != got) {
          ADD_FAILURE() << "acc=" << acc << " shift=" << shift << " mode="
                        << RoundingName(mode) << " relu=" << relu
                        << ": expected " << int{expected} << ", got " << int{got};
          return -1;
        }
      }
    }
    return 4;
  }

  VerilatedHarness<Vsa_requant> sim_{"requant"};
};

TEST_F(RequantRtlTest, BoundarySweepEveryShift) {
  int checked = 0;
  for (int shift = 0; shift <= kMaxShift; ++shift) {
    const int64_t step = int64_t{1} << shift;
    const int64_t half = step / 2;
    // Quotients around 0 and around both clamp edges (-128 and 127 after the shift).
    std::vector<int64_t> quotients;
    for (int64_t q = -140; q <= 140; ++q) quotients.push_back(q);
    for (int64_t q : quotients) {
      for (int64_t point : {q * step, q * step + half}) {
        for (int64_t delta = -2; delta <= 2; ++delta) {
          const int n = CheckAll(point + delta, shift);
          ASSERT_GE(n, 0);
          checked += n;
        }
      }
    }
    for (int64_t extreme : {int64_t{std::numeric_limits<int32_t>::min()},
                            int64_t{std::numeric_limits<int32_t>::min()} + 1, int64_t{-1},
                            int64_t{0}, int64_t{1},
                            int64_t{std::numeric_limits<int32_t>::max()} - 1,
                            int64_t{std::numeric_limits<int32_t>::max()}}) {
      ASSERT_GE(CheckAll(extreme, shift), 0);
    }
  }
  EXPECT_GT(checked, 280000);  // the sweep is not vacuous
}

TEST_F(RequantRtlTest, RandomValuesEveryShift) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> any(std::numeric_limits<int32_t>::min(),
                                             std::numeric_limits<int32_t>::max());
  for (int shift = 0; shift <= kMaxShift; ++shift) {
    for (int i = 0; i < 4000; ++i) ASSERT_GE(CheckAll(any(rng), shift), 0);
  }
}

}  // namespace
}  // namespace sasim
