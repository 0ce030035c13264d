// Shared single-layer test cases and checks, used against the functional device and the RTL.
#ifndef SASIM_TESTS_LAYER_CASES_H_
#define SASIM_TESTS_LAYER_CASES_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/net_compiler.h"
#include "contract/hw_config.h"
#include "contract/layout.h"
#include "host/golden/golden.h"
#include "host/runtime/runtime.h"

namespace sasim::testcases {

inline HwConfig DefaultHw() { return HwConfig{}; }

// Small buffers: many shapes below do not fit and must be tiled. A non-square 8x32 array: a
// tile is 32 output channels, two output words per drained row.
inline HwConfig SmallHw() {
  HwConfig hw;
  hw.name = "small";
  hw.array_rows = 8;
  hw.array_cols = 32;
  hw.abuf_bytes = 4 * 1024;
  hw.wbuf_bytes = 16 * 1024;
  hw.obuf_bytes = 2 * 1024;
  hw.dram_latency_cycles = 50;
  hw.dram_bytes_per_cycle = 8;
  hw.dram_bus_bytes = 64;
  hw.dram_mib = 16;
  return hw;
}

// configs/hw/narrow.yaml: an 8x8 array, whose 8-channel tiles share output words (lanes).
inline HwConfig NarrowHw() {
  HwConfig hw;
  hw.name = "narrow";
  hw.array_rows = 8;
  hw.array_cols = 8;
  hw.abuf_bytes = 8 * 1024;
  hw.wbuf_bytes = 32 * 1024;
  hw.obuf_bytes = 4 * 1024;
  hw.dram_latency_cycles = 40;
  hw.dram_bytes_per_cycle = 32;
  hw.dram_bus_bytes = 32;
  hw.dram_mib = 32;
  return hw;
}

inline std::vector<uint8_t> RandomActivations(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> d(0, 255);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(d(rng));
  return v;
}
inline std::vector<int8_t> RandomWeights(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> d(-40, 40);
  std::bernoulli_distribution zero(0.1);  // some zero weights for the zero-operand counter
  std::vector<int8_t> v(n);
  for (auto& x : v) x = zero(rng) ? 0 : static_cast<int8_t>(d(rng));
  return v;
}
inline std::vector<int32_t> RandomBias(std::mt19937& rng, size_t n) {
  std::uniform_int_distribution<int> d(-5000, 5000);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct LayerCase {
  Layer layer;
  LayerWeights params;
  std::vector<uint8_t> input;
};

inline LayerCase MakeCase(const std::string& name, ConvShape s, bool relu, bool pool,
                          Rounding rounding, uint32_t seed) {
  std::mt19937 rng(seed);
  LayerCase c;
  c.layer.name = name;
  c.layer.shape = s;
  c.layer.pool.enabled = pool;
  // Pick the shift that spreads outputs over the uint8 range (std of acc ~ 25 sqrt(K) * 74).
  const double spread = 25.0 * std::sqrt(static_cast<double>(s.reduction())) * 74.0 / 40.0;
  c.layer.requant = {relu, std::clamp(static_cast<int>(std::log2(spread)), 0, 31), rounding};
  c.params.weights = RandomWeights(rng, static_cast<size_t>(s.reduction()) * s.out_channels);
  c.params.bias = RandomBias(rng, s.out_channels);
  c.input = RandomActivations(rng, static_cast<size_t>(s.in_channels) * s.in_height *
                                       s.in_width);
  // Some exact zero points in the input, for the zero-operand counter.
  for (size_t i = 0; i < c.input.size(); i += 7) c.input[i] = 128;
  return c;
}

// Shapes that exercise partial tiles, strides, padding, kernel sizes, pool, both roundings,
// linear layers, and (on SmallHw) layers larger than every buffer.
inline std::vector<LayerCase> LayerCases() {
  const Rounding kF = Rounding::kFloor, kE = Rounding::kNearestEven;
  std::vector<LayerCase> cases;
  cases.push_back(MakeCase("conv3x20_9x9", {3, 9, 9, 20, 3, 3, 1, 1}, true, false, kF, 1));
  cases.push_back(MakeCase("conv16x16_8x8_pool", {16, 8, 8, 16, 3, 3, 1, 1}, true, true, kE, 2));
  cases.push_back(MakeCase("conv19x33_7x10_s2", {19, 7, 10, 33, 3, 3, 2, 1}, false, false, kF,
                           3));
  cases.push_back(MakeCase("conv8x16_12x12_k5_pool", {8, 12, 12, 16, 5, 5, 1, 2}, true, true,
                           kF, 4));
  cases.push_back(MakeCase("conv32x8_6x6_1x1", {32, 6, 6, 8, 1, 1, 1, 0}, false, false, kE, 5));
  cases.push_back(MakeCase("conv4x16_5x5_nopad", {4, 5, 5, 16, 3, 3, 1, 0}, true, false, kE, 6));
  cases.push_back(MakeCase("conv16x16_8x8_k2s2", {16, 8, 8, 16, 2, 2, 2, 0}, true, false, kF, 7));
  cases.push_back(MakeCase("conv64x24_16x16_pool", {64, 16, 16, 24, 3, 3, 1, 1}, true, true, kF,
                           8));
  cases.push_back(MakeCase("linear100x37_relu", {100, 1, 1, 37, 1, 1, 1, 0}, true, false, kF, 9));
  cases.push_back(MakeCase("linear64x10", {64, 1, 1, 10, 1, 1, 1, 0}, false, false, kE, 10));
  // A linear on a flattened 20x3x3 input (its kernel is the whole input): a GEMM over the
  // stored words.
  LayerCase flat = MakeCase("linear20x3x3x7", {20, 3, 3, 7, 3, 3, 1, 0}, true, false, kF, 11);
  flat.layer.kind = LayerKind::kLinear;
  cases.push_back(flat);
  // K = 4608: partial sums on SmallHw (a 1024-word weight buffer), one COMPUTE on DefaultHw.
  cases.push_back(MakeCase("conv512x16_4x4_psum", {512, 4, 4, 16, 3, 3, 1, 1}, true, false, kE,
                           12));
  // Regression: with one weight slot (SmallHw), the next tile's weights load only after the
  // last piece of a tile run in pieces (they once overwrote the weights its later pieces read).
  cases.push_back(
      MakeCase("conv64x48_4x8_pieces", {64, 4, 8, 48, 3, 3, 1, 1}, true, false, kF, 13));
  // Regression: commands of one short fold each (16 pixels, 8 steps: fewer than the 16 rows of
  // DefaultHw) back to back; a command's biases must reach the array's bottom row before the
  // next command's replace them.
  cases.push_back(MakeCase("conv8x20_8x8_1x1_s2", {8, 8, 8, 20, 1, 1, 2, 0}, false, false, kF, 14));
  return cases;
}

inline std::vector<uint8_t> GoldenOutput(const LayerCase& c) {
  return golden::Forward(c.layer, c.params, c.input);
}

inline void ExpectMatchesGolden(const LayerCase& c, const LayerRun& run) {
  const auto expected = GoldenOutput(c);
  ASSERT_EQ(run.output.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(run.output[i], expected[i]) << "layer " << c.layer.name << " index " << i;
  }
}

// MACs with a zero operand, counted the slow way: padded taps, activation 128, weight 0.
inline uint64_t ZeroOperandMacs(const LayerCase& c) {
  const ConvShape& s = c.layer.shape;
  uint64_t zeros = 0;
  for (int k = 0; k < s.out_channels; ++k) {
    for (int e = 0; e < s.out_height(); ++e) {
      for (int f = 0; f < s.out_width(); ++f) {
        for (int ch = 0; ch < s.in_channels; ++ch) {
          for (int r = 0; r < s.kernel_h; ++r) {
            for (int q = 0; q < s.kernel_w; ++q) {
              const int y = e * s.stride + r - s.padding, x = f * s.stride + q - s.padding;
              const bool pad = y < 0 || y >= s.in_height || x < 0 || x >= s.in_width;
              const uint8_t a =
                  pad ? 128 : c.input[(static_cast<size_t>(ch) * s.in_height + y) *
                                          s.in_width + x];
              const int8_t w =
                  c.params
                      .weights[((static_cast<size_t>(k) * s.in_channels + ch) * s.kernel_h + r) *
                                   s.kernel_w +
                               q];
              zeros += (a == 128 || w == 0);
            }
          }
        }
      }
    }
  }
  return zeros;
}

inline void ExpectClosedFormCounters(const LayerCase& c, const compiler::CompiledNet& net,
                                     const HwConfig& hw, const Counters& n, bool timed) {
  using isa::Counter;
  const ConvShape& s = net.plans.at(0).view.shape;  // as the array runs it (linear: a GEMM)
  const Program& p = net.program;
  const compiler::Tiling& tiling = net.plans.at(0).tiling;
  const compiler::WeightLayout lowered =
      compiler::WeightLayoutOf(net.plans.at(0).view, hw.array_cols);
  const uint64_t outputs = static_cast<uint64_t>(s.out_channels) * s.out_height() *
                           s.out_width();
  EXPECT_EQ(Get(n, Counter::kMacs), static_cast<uint64_t>(c.layer.macs()));
  EXPECT_EQ(Get(n, Counter::kMacsZero), ZeroOperandMacs(c));
  // One word per 16 output channels and pixel (a wide array writes only blocks with channels).
  // A pool pass (partial sums and a pool: Tiling::pool_pass) first writes the unpooled conv
  // outputs to DRAM, and pools them on the vector unit (its lane operations, not pool_ops).
  // A narrow array's tiles each write their lanes of a shared word.
  const uint64_t blocks = ChannelBlocks(s.out_channels);
  const uint64_t written = hw.array_cols < 16 ? lowered.n_tiles : blocks;
  const uint64_t pixels =
      static_cast<uint64_t>(c.layer.out_shape().height) * c.layer.out_shape().width;
  uint64_t out_words = blocks * pixels, out_writes = written * pixels;
  if (tiling.pool_pass) {
    out_words += blocks * s.out_height() * s.out_width();
    out_writes += written * s.out_height() * s.out_width();
    EXPECT_EQ(Get(n, Counter::kPoolOps), 0u);
    EXPECT_EQ(Get(n, Counter::kRequantOps), outputs);
  } else {
    EXPECT_EQ(Get(n, Counter::kRequantOps), outputs);
    EXPECT_EQ(Get(n, Counter::kPoolOps), c.layer.pool.enabled ? outputs / 4 : 0u);
  }
  EXPECT_EQ(Get(n, Counter::kObufWrites), out_writes);
  EXPECT_EQ(Get(n, Counter::kObufReads), out_words);
  EXPECT_EQ(Get(n, Counter::kDramWriteBytes), 16 * out_words);
  const uint64_t weight_bytes = p.segments.at(0).bytes.size();
  // The input rows some output reads (a strided layer may skip the last ones).
  const int used_rows =
      std::min(s.in_height, (s.out_height() - 1) * s.stride + s.kernel_h - s.padding);
  const uint64_t input_bytes = C16Bytes(s.in_channels, used_rows, s.in_width);
  EXPECT_GE(Get(n, Counter::kDramReadBytes), weight_bytes + input_bytes);
  if (tiling.fold_rows > 0) {
    // Partial sums: every fold loads the biases once and the reduction chunk by chunk; only
    // the first chunk's COMPUTE reads the biases (the others continue the kept sums).
    EXPECT_EQ(Get(n, Counter::kWbufWrites), tiling.folds * lowered.tile_words);
    EXPECT_EQ(Get(n, Counter::kWbufReads), tiling.folds * lowered.tile_words);
  } else {
    // Weights kept for every band when they all fit, else loaded again band by band.
    EXPECT_EQ(Get(n, Counter::kWbufWrites),
              static_cast<uint64_t>(tiling.weights_resident ? 1 : tiling.bands) *
                  lowered.n_tiles * lowered.tile_words);
    // Every COMPUTE reads its tile's 4 bias words (a tile run in pieces, Tiling::
    // head_piece_rows, once per piece), then one word per fold step.
    uint64_t computes = 0;
    for (const auto& w : p.commands) computes += isa::DecodeOpcode(w) == isa::Opcode::kCompute;
    EXPECT_GE(computes, static_cast<uint64_t>(tiling.bands) * lowered.n_tiles);
    EXPECT_EQ(Get(n, Counter::kWbufReads),
              (4 * computes + tiling.folds * lowered.steps) * lowered.col_words);
  }
  EXPECT_EQ(Get(n, Counter::kDramReadBytes),
            16 * (Get(n, Counter::kAbufWrites) + Get(n, Counter::kWbufWrites)));
  EXPECT_GE(Get(n, Counter::kAbufWrites) * 16, input_bytes);
  EXPECT_EQ(Get(n, Counter::kCommands), p.commands.size());
  if (timed) {
    const uint64_t cycles = Get(n, Counter::kCycles);
    EXPECT_GE(cycles, tiling.compute_cycles);
    EXPECT_EQ(Get(n, Counter::kBusyCycles) + Get(n, Counter::kStallLoad) +
                  Get(n, Counter::kStallStore) + Get(n, Counter::kStallFetch),
              cycles);
    EXPECT_GE(Get(n, Counter::kCmdFetchBytes), p.commands.size() * isa::kCommandBytes);
    // The array is fed for every fold step, within the busy time (a short fold's bubbles may be
    // spent before its command starts, outside the issue cycles).
    EXPECT_GE(Get(n, Counter::kIssueCycles), tiling.folds * lowered.steps);
    EXPECT_LE(Get(n, Counter::kIssueCycles), Get(n, Counter::kBusyCycles));
  } else {
    EXPECT_EQ(Get(n, Counter::kCycles), 0u);
    EXPECT_EQ(Get(n, Counter::kCmdFetchBytes), p.commands.size() * isa::kCommandBytes);
  }
}

}  // namespace sasim::testcases

#endif  // SASIM_TESTS_LAYER_CASES_H_
