// The quantization rule (contract/quant.h) against values worked out by hand.
#include "contract/quant.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include <gtest/gtest.h>

namespace sasim {
namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

TEST(RoundShiftTest, FloorIsArithmeticShift) {
  EXPECT_EQ(RoundShift(5, 1, Rounding::kFloor), 2);
  EXPECT_EQ(RoundShift(-5, 1, Rounding::kFloor), -3);
  EXPECT_EQ(RoundShift(-1, 31, Rounding::kFloor), -1);
  EXPECT_EQ(RoundShift(kMin, 31, Rounding::kFloor), -1);
  EXPECT_EQ(RoundShift(kMax, 31, Rounding::kFloor), 0);
  EXPECT_EQ(RoundShift(7, 0, Rounding::kFloor), 7);
}

TEST(RoundShiftTest, NearestEvenBreaksTiesToEven) {
  EXPECT_EQ(RoundShift(5, 1, Rounding::kNearestEven), 2);    // 2.5 -> 2
  EXPECT_EQ(RoundShift(7, 1, Rounding::kNearestEven), 4);    // 3.5 -> 4
  EXPECT_EQ(RoundShift(-5, 1, Rounding::kNearestEven), -2);  // -2.5 -> -2
  EXPECT_EQ(RoundShift(-7, 1, Rounding::kNearestEven), -4);  // -3.5 -> -4
  EXPECT_EQ(RoundShift(6, 2, Rounding::kNearestEven), 2);    // 1.5 -> 2
  EXPECT_EQ(RoundShift(10, 2, Rounding::kNearestEven), 2);   // 2.5 -> 2
  EXPECT_EQ(RoundShift(11, 2, Rounding::kNearestEven), 3);   // 2.75 -> 3
  EXPECT_EQ(RoundShift(9, 2, Rounding::kNearestEven), 2);    // 2.25 -> 2
  EXPECT_EQ(RoundShift(kMax, 31, Rounding::kNearestEven), 1);
  EXPECT_EQ(RoundShift(kMin, 31, Rounding::kNearestEven), -1);
  EXPECT_EQ(RoundShift(kMax, 0, Rounding::kNearestEven), kMax);
}

TEST(RoundShiftTest, HalfAwayBreaksTiesAwayFromZero) {
  EXPECT_EQ(RoundShift(5, 1, Rounding::kHalfAway), 3);     // 2.5 -> 3
  EXPECT_EQ(RoundShift(7, 1, Rounding::kHalfAway), 4);     // 3.5 -> 4
  EXPECT_EQ(RoundShift(-5, 1, Rounding::kHalfAway), -3);   // -2.5 -> -3
  EXPECT_EQ(RoundShift(-7, 1, Rounding::kHalfAway), -4);   // -3.5 -> -4
  EXPECT_EQ(RoundShift(10, 2, Rounding::kHalfAway), 3);    // 2.5 -> 3
  EXPECT_EQ(RoundShift(-9, 2, Rounding::kHalfAway), -2);   // -2.25 -> -2
  EXPECT_EQ(RoundShift(-11, 2, Rounding::kHalfAway), -3);  // -2.75 -> -3
  EXPECT_EQ(RoundShift(kMin, 31, Rounding::kHalfAway), -1);
  EXPECT_EQ(RoundShift(1 << 30, 31, Rounding::kHalfAway), 1);  // 0.5 -> 1
  EXPECT_EQ(RoundShift(-(1 << 30), 31, Rounding::kHalfAway), -1);
}

TEST(RequantizeTest, AddsZeroPointAndClamps) {
  EXPECT_EQ(Requantize(1000, false, 3, Rounding::kFloor), 253);  // 125 + 128
  EXPECT_EQ(Requantize(1016, false, 3, Rounding::kFloor), 255);  // 127 + 128
  EXPECT_EQ(Requantize(1024, false, 3, Rounding::kFloor), 255);  // 128 clamps
  EXPECT_EQ(Requantize(-1024, false, 3, Rounding::kFloor), 0);   // -128 + 128
  EXPECT_EQ(Requantize(-1025, false, 3, Rounding::kFloor), 0);   // -129 clamps
  EXPECT_EQ(Requantize(-1017, false, 3, Rounding::kFloor), 0);   // floor(-127.1) = -128
  EXPECT_EQ(Requantize(-1017, false, 3, Rounding::kNearestEven), 1);  // -127
  EXPECT_EQ(Requantize(kMax, false, 0, Rounding::kFloor), 255);
  EXPECT_EQ(Requantize(kMin, false, 0, Rounding::kFloor), 0);
  EXPECT_EQ(Requantize(kMin, false, 31, Rounding::kFloor), 127);
}

TEST(RequantizeTest, ReluZeroesNegativesToTheZeroPoint) {
  EXPECT_EQ(Requantize(-5000, true, 4, Rounding::kFloor), 128);
  EXPECT_EQ(Requantize(kMin, true, 0, Rounding::kNearestEven), 128);
  EXPECT_EQ(Requantize(48, true, 4, Rounding::kFloor), 131);
}

TEST(WrapAddTest, WrapsLikeTwosComplement) {
  EXPECT_EQ(WrapAdd(kMax, 1), kMin);
  EXPECT_EQ(WrapAdd(kMin, -1), kMax);
  EXPECT_EQ(WrapAdd(-3, 5), 2);
}

// AddRequantize against the exact rational sum, rounded half away from zero in double
// arithmetic (exact at these magnitudes), for every pair of codes at several shifts.
TEST(AddRequantizeTest, EqualsTheExactSumRoundedHalfAway) {
  for (const AddShifts s : {AddShifts{0, 0, 0}, AddShifts{0, 0, 1}, AddShifts{1, 0, 2},
                            AddShifts{3, 7, 9}, AddShifts{15, 15, 31}, AddShifts{0, 4, 3}}) {
    for (bool relu : {false, true}) {
      for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
          const double sum = std::ldexp(a - 128, s.a_shift) + std::ldexp(b - 128, s.b_shift);
          double q = std::ldexp(relu && sum < 0 ? 0.0 : sum, -s.out_shift);
          q = q < 0 ? -std::floor(-q + 0.5) : std::floor(q + 0.5);
          const int want = static_cast<int>(std::min(255.0, std::max(0.0, q + 128)));
          ASSERT_EQ(AddRequantize(static_cast<uint8_t>(a), static_cast<uint8_t>(b), s, relu), want)
              << a << " + " << b << " shifts " << s.a_shift << "," << s.b_shift << ","
              << s.out_shift << " relu " << relu;
        }
      }
    }
  }
}

TEST(AddShiftsForTest, WorksInTheFinestScale) {
  AddShifts s;
  ASSERT_TRUE(AddShiftsFor(5, 3, 4, &s));  // finest input 2^-5: b moves up 2, out down 1
  EXPECT_EQ(s.a_shift, 0);
  EXPECT_EQ(s.b_shift, 2);
  EXPECT_EQ(s.out_shift, 1);
  ASSERT_TRUE(AddShiftsFor(2, 2, 6, &s));  // the output is finer still
  EXPECT_EQ(s.a_shift, 4);
  EXPECT_EQ(s.b_shift, 4);
  EXPECT_EQ(s.out_shift, 0);
  EXPECT_FALSE(AddShiftsFor(20, 0, 0, &s));  // b would move up 20 > kMaxAddAlign
}

// The hardware's division (rtl/sa_vec.sv) is the exact rounded mean: for every count of taps
// up to 256 and every sum of that many codes.
TEST(AverageTest, ReciprocalDivisionIsExactUpTo256Taps) {
  for (uint32_t n = 1; n <= 256; ++n) {
    const uint32_t recip = AvgReciprocal(n);
    for (uint32_t sum = 0; sum <= 255 * n; ++sum) {
      ASSERT_EQ(AverageCodesByReciprocal(sum, n, recip), AverageCodes(sum, n))
          << "sum " << sum << " of " << n;
    }
  }
}

// Up to 255 x 255 taps: around every multiple of n and every half-way point of the first and
// last quotients (and some between), for every n; and random sums.
TEST(AverageTest, ReciprocalDivisionIsExactAtTheEdgesUpTo255x255Taps) {
  for (uint32_t n = 1; n <= kMaxAvgCount; ++n) {
    const uint32_t recip = AvgReciprocal(n);
    for (uint32_t k : {0u, 1u, 2u, 3u, 63u, 64u, 127u, 128u, 129u, 191u, 252u, 253u, 254u}) {
      for (uint32_t at : {k * n, k * n + n / 2, k * n + (n + 1) / 2, k * n + n - 1}) {
        for (uint32_t sum = at == 0 ? 0 : at - 1; sum <= at + 1 && sum <= 255 * n; ++sum) {
          ASSERT_EQ(AverageCodesByReciprocal(sum, n, recip), AverageCodes(sum, n))
              << "sum " << sum << " of " << n;
        }
      }
    }
    EXPECT_EQ(AverageCodesByReciprocal(255 * n, n, recip), 255);
    EXPECT_EQ(AverageCodesByReciprocal(255 * n - 1, n, recip), AverageCodes(255 * n - 1, n));
  }
  std::mt19937 rng(5);
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t n = std::uniform_int_distribution<uint32_t>(1, kMaxAvgCount)(rng);
    const uint32_t sum = std::uniform_int_distribution<uint32_t>(0, 255 * n)(rng);
    ASSERT_EQ(AverageCodesByReciprocal(sum, n, AvgReciprocal(n)), AverageCodes(sum, n))
        << "sum " << sum << " of " << n;
  }
}

TEST(AverageTest, RoundsHalfToEven) {
  EXPECT_EQ(AverageCodes(5, 2), 2);   // 2.5 -> 2
  EXPECT_EQ(AverageCodes(7, 2), 4);   // 3.5 -> 4
  EXPECT_EQ(AverageCodes(10, 4), 2);  // 2.5 -> 2
  EXPECT_EQ(AverageCodes(11, 4), 3);  // 2.75 -> 3
  EXPECT_EQ(AverageCodes(13, 9), 1);  // 1.44 -> 1
  EXPECT_EQ(AverageCodes(255 * 49, 49), 255);
  EXPECT_EQ(AvgReciprocal(1), 0xffffffffu);
  EXPECT_EQ(AvgReciprocal(9), 0xffffffffu / 9);
}

TEST(RoundingNameTest, ParsesWhatItPrints) {
  for (Rounding mode : {Rounding::kFloor, Rounding::kNearestEven, Rounding::kHalfAway}) {
    Rounding parsed = mode == Rounding::kFloor ? Rounding::kNearestEven : Rounding::kFloor;
    ASSERT_TRUE(ParseRounding(RoundingName(mode), &parsed));
    EXPECT_EQ(parsed, mode);
  }
  Rounding unused;
  EXPECT_FALSE(ParseRounding("nearest", &unused));
}

}  // namespace
}  // namespace sasim
