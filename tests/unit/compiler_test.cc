// The single-layer compiler's stages as pure functions.
#include "compiler/layer_compiler.h"
#include "compiler/net_compiler.h"

#include <gtest/gtest.h>

#include "contract/errors.h"
#include "host/device/functional_device.h"
#include "host/runtime/runtime.h"
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
  const WeightLayout low = WeightLayoutOf(layer, 16);
  const std::vector<uint8_t> image = LowerWeights(layer, params, 16);
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
  HwConfig small = testcases::SmallHw();
  small.array_cols = 16;  // 16-channel tiles: 580 words fit the weight buffer
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

TEST(TilingTest, APoolThatNeedsPartialSumsRunsAsAPoolPass) {
  // K = 4608 on a 1024-word weight buffer, with a fused 2x2 max-pool: the conv runs as partial
  // sums into a scratch tensor, then a VECTOR pass pools it.
  const auto c = testcases::MakeCase("long", {512, 4, 4, 16, 3, 3, 1, 1}, true, true,
                                     Rounding::kFloor, 1);
  const HwConfig hw = testcases::SmallHw();
  const Tiling t = ChooseTiling(c.layer, hw);
  EXPECT_GT(t.chunks, 1);
  EXPECT_TRUE(t.pool_pass);
  const CompiledNet net = CompileLayer(c.layer, c.params, hw);
  EXPECT_NE(net.plans[0].place.scratch_addr, 0u);
  int vectors = 0;
  for (const auto& w : net.program.commands) {
    vectors += isa::DecodeOpcode(w) == isa::Opcode::kVector;
  }
  EXPECT_GE(vectors, 1);
  FunctionalDevice device(hw);
  testcases::ExpectMatchesGolden(c, RunLayer(device, net.program, c.input));
}

// The layer compiled with `tiling` instead of the one ChooseTiling picks: same DRAM plan and
// weight image (tile-major whatever the schedule), the command stream emitted again.
Program WithTiling(const testcases::LayerCase& c, const HwConfig& hw, const Tiling& tiling) {
  CompiledNet net = CompileLayer(c.layer, c.params, hw);
  std::vector<isa::CommandWords> commands;
  uint32_t dma = 0, compute = 0;
  EmitCommands(net.plans[0].view, tiling, hw, net.plans[0].place, &commands, &dma, &compute);
  commands.push_back(isa::EncodeSync({dma, compute}));
  commands.push_back(isa::EncodeEnd());
  net.program.commands = commands;
  net.program.layers[0].end_command = commands.size();
  return net.program;
}

struct ScheduleShape {
  int weight_loads = 0, act_loads = 0, stores = 0, computes = 0;
  std::vector<uint32_t> weight_words, store_rows;
};

ScheduleShape ShapeOf(const Program& p) {
  ScheduleShape s;
  for (const auto& w : p.commands) {
    switch (isa::DecodeOpcode(w)) {
      case isa::Opcode::kLoad: {
        const isa::Transfer tr = isa::DecodeTransfer(w);
        if (tr.buffer == isa::Buffer::kWeight) {
          ++s.weight_loads;
          s.weight_words.push_back(tr.row_words);
        } else {
          ++s.act_loads;
        }
        break;
      }
      case isa::Opcode::kStore:
        ++s.stores;
        s.store_rows.push_back(isa::DecodeTransfer(w).rows);
        break;
      case isa::Opcode::kCompute:
        ++s.computes;
        break;
      default:
        break;
    }
  }
  return s;
}

TEST(EmitTest, KeptWeightsAndGroupedStoresComputeTheSameLayer) {
  const auto c = testcases::MakeCase("conv", {32, 8, 8, 48, 3, 3, 1, 1}, true, false,
                                     Rounding::kFloor, 1);
  const HwConfig hw = testcases::DefaultHw();
  Tiling t = ChooseTiling(c.layer, hw);
  // Three 16-channel tiles in four bands of two rows; every schedule variant.
  t.band_rows = 2;
  t.bands = 4;
  t.act_slots = t.out_slots = t.weight_slots = 2;
  t.out_tile_words = 2 * 8;
  for (bool resident : {false, true}) {
    for (int group : {1, 2, 3}) {
      SCOPED_TRACE(::testing::Message() << "resident " << resident << " out group " << group);
      t.weights_resident = resident;
      t.out_group = group;
      const Program p = WithTiling(c, hw, t);
      const ScheduleShape s = ShapeOf(p);
      EXPECT_EQ(s.computes, 12);
      EXPECT_EQ(s.act_loads, 4);
      // Kept: one LOAD of all three tiles; else one per tile and band.
      EXPECT_EQ(s.weight_loads, resident ? 1 : 12);
      EXPECT_EQ(s.weight_words.front(), (resident ? 3u : 1u) * (4 + 32 * 9));
      // A STORE carries `group` channel blocks of a band (the last group of a band fewer).
      const int per_band = (3 + group - 1) / group;
      EXPECT_EQ(s.stores, 4 * per_band);
      EXPECT_EQ(s.store_rows.front(), static_cast<uint32_t>(group));
      // And the functional device computes the golden layer from it.
      FunctionalDevice device(hw);
      testcases::ExpectMatchesGolden(c, RunLayer(device, p, c.input));
    }
  }
}

TEST(EmitTest, BigWeightTilesLoadWhileTheArrayComputes) {
  // 32 tiles of 2308 words on 4x4 outputs (one fold each): weight-bound, so the next tile's
  // weights load while the current one computes, and the 16-word outputs wait in a ring of
  // output slots (their STOREs may lag several tiles behind).
  const auto c = testcases::MakeCase("wide", {256, 8, 8, 512, 3, 3, 2, 1}, true, false,
                                     Rounding::kFloor, 1);
  const HwConfig hw = testcases::DefaultHw();
  const Tiling t = ChooseTiling(c.layer, hw);
  EXPECT_FALSE(t.weights_resident);
  EXPECT_EQ(t.weight_slots, 2);
  EXPECT_GE(t.out_slots, 3);
  EXPECT_LE(t.out_slots * t.out_group * t.out_tile_words, hw.obuf_words());
  const Program p = CompileLayer(c.layer, c.params, hw).program;
  bool load_after_compute = false, computed = false;
  for (const auto& w : p.commands) {
    if (isa::DecodeOpcode(w) == isa::Opcode::kCompute) computed = true;
    if (isa::DecodeOpcode(w) == isa::Opcode::kLoad &&
        isa::DecodeTransfer(w).buffer == isa::Buffer::kWeight) {
      load_after_compute = load_after_compute || computed;
    }
  }
  EXPECT_TRUE(load_after_compute);
  EXPECT_EQ(ShapeOf(p).stores, (32 + t.out_group - 1) / t.out_group);
}

TEST(EmitTest, FirstAndLastTilesRunInPiecesAndComputeTheSameLayer) {
  // The ResNet stem's shape: short folds (K = 27), so the first band's load and the last tile's
  // store would each cost hundreds of cycles beside the array.
  const auto c =
      testcases::MakeCase("stem", {3, 32, 32, 64, 3, 3, 1, 1}, true, false, Rounding::kFloor, 1);
  const HwConfig hw = testcases::DefaultHw();
  const Tiling t = ChooseTiling(c.layer, hw);
  ASSERT_GT(t.head_piece_rows, 0);
  ASSERT_GT(t.tail_piece_rows, 0);
  ASSERT_LT(t.head_piece_rows, t.band_rows);
  const Program p = CompileLayer(c.layer, c.params, hw).program;
  // Before the first COMPUTE: the first tile's weights and activation LOADs of the first
  // pieces only (not the whole band); that COMPUTE covers head_piece_rows output rows.
  uint32_t act_words_before = 0;
  int computes = 0;
  size_t first_compute = 0;
  for (size_t i = 0; i < p.commands.size(); ++i) {
    const auto op = isa::DecodeOpcode(p.commands[i]);
    if (op == isa::Opcode::kCompute && computes++ == 0) {
      first_compute = i;
      EXPECT_EQ(isa::DecodeCompute(p.commands[i]).out_rows,
                static_cast<uint32_t>(t.head_piece_rows));
    }
    if (op == isa::Opcode::kLoad && computes == 0) {
      const isa::Transfer tr = isa::DecodeTransfer(p.commands[i]);
      if (tr.buffer == isa::Buffer::kAct) act_words_before += tr.row_words * tr.rows;
    }
  }
  int piece_stores = 0;
  for (size_t i = 0; i < p.commands.size(); ++i) {
    if (isa::DecodeOpcode(p.commands[i]) != isa::Opcode::kStore) continue;
    const isa::Transfer tr = isa::DecodeTransfer(p.commands[i]);
    piece_stores += tr.row_words == static_cast<uint32_t>(t.tail_piece_rows) * 32;
  }
  ASSERT_GT(first_compute, 0u);
  // Two pieces' rows are loaded ahead (a piece's LOAD goes two pieces before its COMPUTE).
  EXPECT_EQ(act_words_before, static_cast<uint32_t>(2 * t.head_piece_rows + 1) * 32);
  EXPECT_LT(act_words_before, t.act_band_words);
  EXPECT_GT(computes, t.bands * t.n_tiles);
  // The last tiles leave in one STORE per piece: more than the last one, since a whole tile's
  // STORE takes over half of a tile's compute here (Tiling::tail_tiles).
  const int last_rows = c.layer.shape.out_height() - (t.bands - 1) * t.band_rows;
  EXPECT_GE(t.tail_tiles, 2);
  EXPECT_LE(t.tail_tiles, t.n_tiles);
  EXPECT_EQ(piece_stores, t.tail_tiles * (last_rows / t.tail_piece_rows));
  FunctionalDevice device(hw);
  testcases::ExpectMatchesGolden(c, RunLayer(device, p, c.input));
}

}  // namespace
}  // namespace sasim::compiler
