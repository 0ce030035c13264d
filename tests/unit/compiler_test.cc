// The single-layer compiler's stages as pure functions.
#include "compiler/layer_compiler.h"
#include "compiler/net_compiler.h"

#include <gtest/gtest.h>

#include "contract/errors.h"
#include "tests/layer_cases.h"

namespace sasim::compiler {
namespace {

TEST(LowerTest, WeightImageOrderIsBlockKyKxChannel) {
  // 18 input channels (two blocks: 16 + 2), 2x1 kernel, 17 output channels (two tiles).
  Layer layer;
  layer.shape = ConvShape{18, 4, 4, 17, 2, 1, 1, 0};
  LayerWeights params;
  params.weights.resize(18 * 2 * 17);
  for (size_t i = 0; i < params.weights.size(); ++i) params.weights[i] = static_cast<int8_t>(i);
  params.bias.resize(17);
  for (int i = 0; i < 17; ++i) params.bias[i] = 1000 * i - 3;
  const WeightLayout low = WeightLayoutOf(layer);
  const std::vector<uint8_t> image = LowerWeights(layer, params);
  ASSERT_EQ(low.n_tiles, 2);
  ASSERT_EQ(low.steps, 36u);
  ASSERT_EQ(low.tile_words, 40u);
  // Bias of channel 16 is the first int32 of tile 1, little-endian.
  const uint8_t* tile1 = &image[40 * 16];
  EXPECT_EQ(static_cast<int32_t>(tile1[0] | tile1[1] << 8 | tile1[2] << 16 | tile1[3] << 24),
            16000 - 3);
  // Step k = 16 + 2 (block 0, ky 1, channel 2): weight of (o, c=2, ky=1, kx=0).
  const uint8_t* word = &image[(4 + 18) * 16];
  for (int o = 0; o < 16; ++o) {
    EXPECT_EQ(static_cast<int8_t>(word[o]), params.weights[(o * 18 + 2) * 2 + 1]) << o;
  }
  // Step 32 + 1 (block 1 has 2 channels: ky 0 -> steps 32,33; ky 1 -> 34,35): c=17, ky=0.
  const uint8_t* word33 = &image[(4 + 33) * 16];
  EXPECT_EQ(static_cast<int8_t>(word33[3]), params.weights[(3 * 18 + 17) * 2 + 0]);
  // Tile 1 has one real channel; the other 15 weights are zero.
  const uint8_t* t1w = &image[(40 + 4) * 16];
  for (int o = 1; o < 16; ++o) EXPECT_EQ(t1w[o], 0);
}

TEST(TilingTest, RespectsBuffersAndSplitsBigLayers) {
  const HwConfig small = testcases::SmallHw();
  const auto c = testcases::MakeCase("big", {64, 16, 16, 24, 3, 3, 1, 1}, true, true,
                                     Rounding::kFloor, 1);
  const Tiling t = ChooseTiling(c.layer, small);
  EXPECT_GT(t.bands, 1);
  EXPECT_EQ(t.band_rows % 2, 0);  // pool windows stay inside a band
  EXPECT_LE(t.act_band_words * t.act_slots, small.abuf_words());
  EXPECT_LE(t.out_tile_words * t.out_slots, small.obuf_words());
  EXPECT_LE(t.weight_tile_words * t.weight_slots, small.wbuf_words());
  EXPECT_EQ(t.weight_slots, 1);  // 580 words: only one fits in 1024
  const Tiling big = ChooseTiling(c.layer, testcases::DefaultHw());
  EXPECT_EQ(big.weight_slots, 2);
  EXPECT_EQ(big.folds, 2u * 16);  // 2 channel tiles x 256 pixels / 16 rows, however banded
  EXPECT_GE(big.estimated_cycles, big.compute_cycles);
  EXPECT_NE(big.decision.find("estimated"), std::string::npos);
}

TEST(TilingTest, SplitsAReductionLongerThanTheWeightBufferIntoPartialSums) {
  HwConfig hw = testcases::SmallHw();
  const auto c = testcases::MakeCase("long", {512, 4, 4, 16, 3, 3, 1, 1}, true, false,
                                     Rounding::kFloor, 1);
  const Tiling t = ChooseTiling(c.layer, hw);  // K = 4608 > the 1024-word weight buffer
  EXPECT_GT(t.chunks, 1);
  EXPECT_LE(t.weight_tile_words * t.weight_slots, hw.wbuf_words());
  EXPECT_LE(t.fold_rows * t.fold_cols, hw.array_rows);
  const auto p = CompileLayer(c.layer, c.params, hw).program;
  // Every fold: chunk 0 keeps its sums (acc_out), the middle ones continue and keep, the last
  // continues (acc_in) and drains; together they cover every input channel once.
  int computes = 0, channels = 0;
  for (const auto& w : p.commands) {
    if (isa::DecodeOpcode(w) != isa::Opcode::kCompute) continue;
    const isa::Compute cmd = isa::DecodeCompute(w);
    const int chunk = computes % t.chunks;
    EXPECT_EQ(cmd.acc_in, chunk > 0);
    EXPECT_EQ(cmd.acc_out, chunk + 1 < t.chunks);
    EXPECT_LE(cmd.out_rows * cmd.out_width, static_cast<uint32_t>(hw.array_rows));
    channels += static_cast<int>(cmd.channels);
    ++computes;
  }
  EXPECT_EQ(static_cast<uint64_t>(computes), t.folds * t.chunks);
  EXPECT_EQ(channels, 512 * static_cast<int>(t.folds));
}

TEST(TilingTest, RefusesAPoolThatWouldNeedPartialSums) {
  const auto c = testcases::MakeCase("long", {512, 4, 4, 16, 3, 3, 1, 1}, true, true,
                                     Rounding::kFloor, 1);
  try {
    ChooseTiling(c.layer, testcases::SmallHw());
    FAIL() << "expected CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'long'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("partial sums"), std::string::npos) << e.what();
  }
}

TEST(EmitTest, DoubleBufferedScheduleOverlapsLoadsWithCompute) {
  const auto c = testcases::MakeCase("conv", {32, 8, 8, 48, 3, 3, 1, 1}, true, false,
                                     Rounding::kFloor, 1);
  const auto p = CompileLayer(c.layer, c.params, testcases::DefaultHw()).program;
  // Expected: LOAD act, LOAD W0, [SYNC] COMPUTE 0, LOAD W1, [SYNC] COMPUTE 1, STORE 0, ...
  std::vector<isa::Opcode> ops;
  for (const auto& w : p.commands) ops.push_back(isa::DecodeOpcode(w));
  ASSERT_GE(ops.size(), 6u);
  EXPECT_EQ(ops[0], isa::Opcode::kLoad);
  EXPECT_EQ(ops[1], isa::Opcode::kLoad);
  EXPECT_EQ(ops[2], isa::Opcode::kSync);
  EXPECT_EQ(ops[3], isa::Opcode::kCompute);
  EXPECT_EQ(ops[4], isa::Opcode::kLoad);  // next weights load while tile 0 computes
  EXPECT_EQ(ops.back(), isa::Opcode::kEnd);
  // The first SYNC waits for both loads and no compute.
  const auto s = isa::DecodeSync(p.commands[2]);
  EXPECT_EQ(s.dma_jobs, 2u);
  EXPECT_EQ(s.compute_jobs, 0u);
  // Three output tiles, three stores, three computes.
  EXPECT_EQ(std::count(ops.begin(), ops.end(), isa::Opcode::kCompute), 3);
  EXPECT_EQ(std::count(ops.begin(), ops.end(), isa::Opcode::kStore), 3);
}

}  // namespace
}  // namespace sasim::compiler
