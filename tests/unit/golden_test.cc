// The golden model against small cases computed by hand, so the reference itself is checked.
#include "host/golden/golden.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace sasim::golden {
namespace {

// Activation codes for centered values (x - 128).
std::vector<uint8_t> Codes(std::initializer_list<int> centered) {
  std::vector<uint8_t> out;
  for (int v : centered) out.push_back(static_cast<uint8_t>(v + 128));
  return out;
}

TEST(GoldenConvTest, TwoByTwoKernelNoPadding) {
  ConvShape s{.in_channels = 1, .in_height = 3, .in_width = 3, .out_channels = 1,
              .kernel_h = 2, .kernel_w = 2, .stride = 1, .padding = 0};
  // y[e][f] = 10 + x[e][f] - x[e+1][f+1] = 10 - 4 everywhere.
  const auto acc = Conv2dAcc(s, Codes({1, 2, 3, 4, 5, 6, 7, 8, 9}), {1, 0, 0, -1}, {10});
  EXPECT_EQ(acc, (std::vector<int32_t>{6, 6, 6, 6}));
  EXPECT_EQ(Conv2d(s, Codes({1, 2, 3, 4, 5, 6, 7, 8, 9}), {1, 0, 0, -1}, {10}, {}),
            (std::vector<uint8_t>{134, 134, 134, 134}));
}

TEST(GoldenConvTest, PaddingIsTheZeroPointAndStrideSkips) {
  ConvShape s{.in_channels = 1, .in_height = 3, .in_width = 3, .out_channels = 1,
              .kernel_h = 3, .kernel_w = 3, .stride = 2, .padding = 1};
  ASSERT_EQ(s.out_height(), 2);
  ASSERT_EQ(s.out_width(), 2);
  const std::vector<int8_t> ones(9, 1);
  const auto acc = Conv2dAcc(s, Codes({1, 2, 3, 4, 5, 6, 7, 8, 9}), ones, {0});
  EXPECT_EQ(acc, (std::vector<int32_t>{1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8,
                                       5 + 6 + 8 + 9}));
}

TEST(GoldenConvTest, ChannelsAndOutputChannelsUseOihw) {
  // 1x1 conv, 2 in, 2 out channels over a 1x2 image: a small matrix product per pixel.
  ConvShape s{.in_channels = 2, .in_height = 1, .in_width = 2, .out_channels = 2};
  // x[c][w]: c0 = {1, 2}, c1 = {3, -4}; w[o][c]: o0 = {1, 1}, o1 = {2, -1}; bias {0, 100}.
  const auto acc = Conv2dAcc(s, Codes({1, 2, 3, -4}), {1, 1, 2, -1}, {0, 100});
  EXPECT_EQ(acc, (std::vector<int32_t>{4, -2, 100 + 2 - 3, 100 + 4 + 4}));
}

TEST(GoldenConvTest, DotProductsEqualTheTapByTapLoop) {
  // Strides, padding, odd shapes, extreme codes and weights (-128 x -128), and biases that
  // make the sum wrap: the vectorized im2col path must give every accumulator the plain loop
  // gives.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> code(0, 255), weight(-128, 127), small(1, 5);
  for (int trial = 0; trial < 40; ++trial) {
    ConvShape s{.in_channels = small(rng) * 7,
                .in_height = small(rng) + 4,
                .in_width = small(rng) + 3,
                .out_channels = small(rng) * 3,
                .kernel_h = small(rng) % 3 + 1,
                .kernel_w = small(rng) % 3 + 1,
                .stride = small(rng) % 2 + 1,
                .padding = small(rng) % 2};
    std::vector<uint8_t> x(static_cast<size_t>(s.in_channels) * s.in_height * s.in_width);
    for (auto& v : x) v = static_cast<uint8_t>(trial % 4 == 0 ? 0 : code(rng));
    std::vector<int8_t> w(static_cast<size_t>(s.reduction()) * s.out_channels);
    for (auto& v : w) v = static_cast<int8_t>(trial % 4 == 0 ? -128 : weight(rng));
    std::vector<int32_t> bias(s.out_channels);
    for (size_t k = 0; k < bias.size(); ++k) {
      bias[k] =
          k % 2 ? std::numeric_limits<int32_t>::max() - 5 : std::numeric_limits<int32_t>::min() + 5;
    }
    const auto acc = Conv2dAcc(s, x, w, bias);
    EXPECT_EQ(acc, Conv2dAccByTaps(s, x, w, bias)) << "trial " << trial;
    if (trial % 4 == 0) {  // every product +2^14, odd channels' bias near INT32_MAX: wrapped
      const size_t plane = static_cast<size_t>(s.out_width()) * s.out_height();
      EXPECT_TRUE(std::any_of(acc.begin() + plane, acc.begin() + 2 * plane,
                              [](int32_t a) { return a < 0; }))
          << "trial " << trial;
    }
  }
}

TEST(GoldenConvTest, RequantizesWithReluAndShift) {
  ConvShape s{.in_channels = 1, .in_height = 1, .in_width = 2, .out_channels = 1};
  // acc = {-40 * 3, 40 * 3} = {-120, 120}; relu, shift 3: {0, 15} -> {128, 143}.
  EXPECT_EQ(Conv2d(s, Codes({-40, 40}), {3}, {0}, {.relu = true, .shift = 3}),
            (std::vector<uint8_t>{128, 143}));
  // Without relu, floor(-120 / 8) = -15 -> 113.
  EXPECT_EQ(Conv2d(s, Codes({-40, 40}), {3}, {0}, {.relu = false, .shift = 3}),
            (std::vector<uint8_t>{113, 143}));
}

TEST(GoldenLinearTest, HandComputed) {
  // x = {1, -2, 3}; w = {{1, 1, 1}, {2, 0, -1}}; bias {0, 5}.
  EXPECT_EQ(LinearAcc(3, 2, Codes({1, -2, 3}), {1, 1, 1, 2, 0, -1}, {0, 5}),
            (std::vector<int32_t>{2, 4}));
}

TEST(GoldenGemmTest, MatchesLinearPerRowAndWraps) {
  const int32_t max = std::numeric_limits<int32_t>::max();
  // A = {{x=255 -> 127}}, B = {{1}}, bias = max - 126: the sum passes max by one and wraps.
  const auto c = GemmAcc(1, 1, 1, {255}, {1}, {max - 126});
  EXPECT_EQ(c[0], std::numeric_limits<int32_t>::min());
}

TEST(GoldenGemmTest, ExtremeOperands) {
  // x = 0 (-128) times w = -128 is +16384 per step.
  const auto c = GemmAcc(1, 1, 4, {0, 0, 0, 0}, {-128, -128, -128, -128}, {0});
  EXPECT_EQ(c[0], 4 * 16384);
}

TEST(GoldenPoolTest, TwoByTwoHandComputed) {
  // One 4x4 channel: maxima of each 2x2 block.
  const std::vector<uint8_t> x = {1, 5, 2, 0,   //
                                  3, 4, 9, 8,   //
                                  7, 7, 0, 0,   //
                                  6, 200, 0, 1};
  EXPECT_EQ(MaxPool2d(1, 4, 4, 2, 2, x), (std::vector<uint8_t>{5, 9, 200, 1}));
}

TEST(GoldenPoolTest, OddSizeFloorsLikePyTorch) {
  const std::vector<uint8_t> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(MaxPool2d(1, 3, 3, 2, 2, x), (std::vector<uint8_t>{5}));
}

TEST(GoldenTest, RejectsWrongSizes) {
  ConvShape s{.in_channels = 2, .in_height = 2, .in_width = 2, .out_channels = 1};
  EXPECT_THROW(Conv2dAcc(s, std::vector<uint8_t>(7), std::vector<int8_t>(2), {0}),
               std::invalid_argument);
}

}  // namespace
}  // namespace sasim::golden
