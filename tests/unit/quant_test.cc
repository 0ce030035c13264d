// The quantization rule (contract/quant.h) against values worked out by hand.
#include "contract/quant.h"

#include <cstdint>
#include <limits>

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

TEST(RoundingNameTest, ParsesWhatItPrints) {
  for (Rounding mode : {Rounding::kFloor, Rounding::kNearestEven}) {
    Rounding parsed = mode == Rounding::kFloor ? Rounding::kNearestEven : Rounding::kFloor;
    ASSERT_TRUE(ParseRounding(RoundingName(mode), &parsed));
    EXPECT_EQ(parsed, mode);
  }
  Rounding unused;
  EXPECT_FALSE(ParseRounding("nearest", &unused));
}

}  // namespace
}  // namespace sasim
