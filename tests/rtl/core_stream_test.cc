// Hand-built command streams through the whole Verilated sa_top (bare: clocked directly, DRAM
// model attached) and the functional device, on the default and the small hw config:
//  * VECTOR streams (LOAD, max and average pools, adds, a ReLU, STORE, SNAPSHOT): the DRAM
//    results and every counter that does not depend on timing, at every snapshot and at the
//    end, are the same on both devices, and the VECTOR counters are the closed-form ones;
//  * one COMPUTE split into partial-sum chunks (acc_out ... acc_in) over consecutive reduction
//    ranges, against the same COMPUTE unsplit: identical outputs, acc_wraps and every other
//    untimed counter but the command count, on both devices, also with biases next to the int32
//    limits (the sums wrap); the outputs and wraps are also a direct reference's.
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "contract/counters.h"
#include "contract/isa.h"
#include "contract/quant.h"
#include "host/device/functional_device.h"
#include "host/runtime/runtime.h"
#include "sim/bare_device.h"
#include "tests/layer_cases.h"

namespace sasim {
namespace {

using isa::Counter;
using Word = std::array<uint8_t, 16>;

constexpr uint32_t kCmdAddr = 0x1000;
constexpr uint32_t kInAddr = 0x10000;
constexpr uint32_t kWeightAddr = 0x40000;
constexpr uint32_t kOutAddr = 0x80000;
constexpr uint32_t kSnapAddr = 0xc0000;

// A command stream with its DRAM inputs, the DRAM regions it writes and its snapshots.
struct Stream {
  std::vector<isa::CommandWords> commands;
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> inputs;
  std::vector<std::pair<uint32_t, size_t>> outputs;  // address, bytes
  std::vector<uint32_t> snapshots;
  uint32_t dma_jobs = 0, compute_jobs = 0;

  void Load(isa::Buffer buffer, uint32_t dram, uint32_t sram, uint32_t words) {
    commands.push_back(
        isa::EncodeTransfer(isa::Opcode::kLoad, {buffer, dram, 0, sram, 0, words, 1}));
    ++dma_jobs;
  }
  void Store(uint32_t sram, uint32_t words, uint32_t dram) {
    commands.push_back(
        isa::EncodeTransfer(isa::Opcode::kStore, {isa::Buffer::kOut, dram, 0, sram, 0, words, 1}));
    outputs.push_back({dram, size_t{16} * words});
    ++dma_jobs;
  }
  void Vector(const isa::Vector& v) {
    commands.push_back(isa::EncodeVector(v));
    ++compute_jobs;
  }
  void Compute(const isa::Compute& c) {
    commands.push_back(isa::EncodeCompute(c));
    ++compute_jobs;
  }
  void SyncAll() { commands.push_back(isa::EncodeSync({dma_jobs, compute_jobs})); }
  void Snapshot() {
    const uint32_t at = kSnapAddr + 256 * static_cast<uint32_t>(snapshots.size());
    commands.push_back(isa::EncodeSnapshot(at));
    snapshots.push_back(at);
    ++dma_jobs;
  }
  void End() {
    SyncAll();
    commands.push_back(isa::EncodeEnd());
  }
};

struct Result {
  std::vector<std::vector<uint8_t>> outputs;
  std::vector<Counters> snapshots;
  Counters end{};
};

Result RunStream(Hal& hal, const Stream& s) {
  for (const auto& [addr, bytes] : s.inputs) hal.DramWrite(addr, bytes.data(), bytes.size());
  for (const auto& [addr, size] : s.outputs) {
    const std::vector<uint8_t> poison(size, 0xa5);  // nothing stale passes for a result
    hal.DramWrite(addr, poison.data(), size);
  }
  std::vector<uint8_t> cmd = isa::CommandBytes(s.commands);
  cmd.resize(cmd.size() + 128, 0);  // the controller fetches ahead past END
  hal.DramWrite(kCmdAddr, cmd.data(), cmd.size());
  Result r;
  r.end = RunCommands(hal, kCmdAddr);
  for (const auto& [addr, size] : s.outputs) {
    r.outputs.emplace_back(size);
    hal.DramRead(addr, r.outputs.back().data(), size);
  }
  for (uint32_t at : s.snapshots) {
    std::array<uint8_t, isa::kSnapshotBytes> bytes{};
    hal.DramRead(at, bytes.data(), bytes.size());
    r.snapshots.push_back(CountersFromSnapshot(bytes.data()));
  }
  return r;
}

// Every counter that does not depend on timing is equal (docs/isa.md).
void ExpectSameUntimed(const Counters& got, const Counters& want, const std::string& what) {
  for (int i = 0; i < isa::kNumCounters; ++i) {
    const auto c = static_cast<Counter>(i);
    if (DependsOnTiming(c)) continue;
    EXPECT_EQ(got[i], want[i]) << what << ": counter " << isa::CounterName(c);
  }
}

void ExpectSameRun(const Result& rtl, const Result& functional) {
  ASSERT_EQ(rtl.outputs.size(), functional.outputs.size());
  for (size_t i = 0; i < rtl.outputs.size(); ++i) {
    EXPECT_EQ(rtl.outputs[i], functional.outputs[i]) << "output region " << i;
  }
  ASSERT_EQ(rtl.snapshots.size(), functional.snapshots.size());
  for (size_t i = 0; i < rtl.snapshots.size(); ++i) {
    ExpectSameUntimed(rtl.snapshots[i], functional.snapshots[i], "snapshot " + std::to_string(i));
  }
  ExpectSameUntimed(rtl.end, functional.end, "end");
  // The run's cycles are one of busy or a stall, and the snapshots carry them.
  EXPECT_EQ(Get(rtl.end, Counter::kCycles),
            Get(rtl.end, Counter::kBusyCycles) + Get(rtl.end, Counter::kStallLoad) +
                Get(rtl.end, Counter::kStallStore) + Get(rtl.end, Counter::kStallFetch));
  for (const Counters& s : rtl.snapshots) EXPECT_GT(Get(s, Counter::kCycles), 0u);
}

std::vector<uint8_t> RandomWords(std::mt19937& rng, uint32_t words) {
  return testcases::RandomActivations(rng, size_t{16} * words);
}

// The activation words a VECTOR reads (its taps inside the input).
uint64_t VectorReads(const isa::Vector& v) {
  if (v.op == isa::VectorOp::kAdd) return 2ull * v.channel_blocks * v.out_rows * v.out_width;
  uint64_t reads = 0;
  for (uint32_t e = 0; e < v.out_rows; ++e) {
    for (uint32_t f = 0; f < v.out_width; ++f) {
      for (uint32_t ky = 0; ky < v.kernel_h; ++ky) {
        for (uint32_t kx = 0; kx < v.kernel_w; ++kx) {
          const int64_t y = int64_t{e} * v.stride + ky + v.y_off;
          const int64_t x = int64_t{f} * v.stride + kx + v.x_off;
          reads += y >= 0 && y < v.in_rows && x >= 0 && x < v.in_width;
        }
      }
    }
  }
  return reads * v.channel_blocks;
}

isa::Vector MakeVector(isa::VectorOp op, uint32_t blocks, uint32_t in_rows, uint32_t in_width,
                       uint32_t k, uint32_t stride, int32_t off, uint32_t out_rows,
                       uint32_t out_width, uint32_t a_base, uint32_t o_base) {
  isa::Vector v;
  v.op = op;
  v.channel_blocks = blocks;
  v.in_rows = in_rows;
  v.in_width = in_width;
  v.kernel_h = v.kernel_w = k;
  v.stride = stride;
  v.y_off = v.x_off = off;
  v.out_rows = out_rows;
  v.out_width = out_width;
  v.a_base = a_base;
  v.o_base = o_base;
  if (op == isa::VectorOp::kAvgPool) v.recip = AvgReciprocal(k * k);
  return v;
}

TEST(CoreStreamTest, VectorStreamMatchesTheFunctionalDevice) {
  using isa::VectorOp;
  // Activation buffer (fits the small config's 256 words): X = 2 blocks of 7x9 at 0; add
  // operands A, B of 4x5 at 126, 146; 2 blocks of 4x4 at 166; one 7x7 block at 198.
  std::vector<isa::Vector> first, second;
  first.push_back(MakeVector(VectorOp::kMaxPool, 2, 7, 9, 3, 2, -1, 4, 5, 0, 0));  // 40 words
  first.push_back(MakeVector(VectorOp::kMaxPool, 2, 7, 9, 2, 2, 0, 3, 4, 0, 40));  // 24
  first.back().relu = true;
  isa::Vector add = MakeVector(VectorOp::kAdd, 1, 4, 5, 1, 1, 0, 4, 5, 126, 64);  // 20
  add.b_base = 146;
  add.a_shift = 2;
  add.out_shift = 3;
  first.push_back(add);
  second.push_back(MakeVector(VectorOp::kAvgPool, 2, 4, 4, 4, 1, 0, 1, 1, 166, 0));  // 2
  second.push_back(MakeVector(VectorOp::kAvgPool, 1, 7, 7, 7, 1, 0, 1, 1, 198, 2));  // 1
  second.push_back(MakeVector(VectorOp::kAvgPool, 1, 7, 7, 3, 1, 0, 5, 5, 198, 3));  // 25
  second.push_back(MakeVector(VectorOp::kMaxPool, 1, 7, 9, 1, 1, 0, 7, 9, 63, 28));  // 63
  second.back().relu = true;
  add.b_shift = 5;
  add.a_shift = 0;
  add.out_shift = 4;
  add.relu = true;
  add.o_base = 91;
  second.push_back(add);  // 20 words: 111 in all

  std::mt19937 rng(8);
  Stream s;
  s.inputs.push_back({kInAddr, RandomWords(rng, 247)});
  s.Load(isa::Buffer::kAct, kInAddr, 0, 247);
  s.SyncAll();
  for (const auto& v : first) s.Vector(v);
  s.SyncAll();
  s.Store(0, 84, kOutAddr);
  s.Snapshot();
  s.SyncAll();  // the output buffer is free again
  for (const auto& v : second) s.Vector(v);
  s.SyncAll();
  s.Store(0, 111, kOutAddr + 0x2000);
  s.Snapshot();
  s.End();

  // The VECTOR counters in closed form.
  Counters want{};
  auto add_counts = [&](const isa::Vector& v) {
    const uint64_t words = uint64_t{v.channel_blocks} * v.out_rows * v.out_width;
    want[static_cast<int>(Counter::kAbufReads)] += VectorReads(v);
    want[static_cast<int>(Counter::kVecOps)] += 16 * VectorReads(v);
    want[static_cast<int>(Counter::kObufWrites)] += words;
    if (v.op != VectorOp::kMaxPool) want[static_cast<int>(Counter::kRequantOps)] += 16 * words;
  };
  for (const auto& v : first) add_counts(v);
  for (const auto& v : second) add_counts(v);

  for (const HwConfig& hw : {testcases::DefaultHw(), testcases::SmallHw()}) {
    SCOPED_TRACE(hw.name);
    BareDevice bare(hw);
    FunctionalDevice functional(hw);
    const Result rtl = RunStream(bare, s);
    const Result ref = RunStream(functional, s);
    ExpectSameRun(rtl, ref);
    for (Counter c : {Counter::kAbufReads, Counter::kVecOps, Counter::kObufWrites,
                      Counter::kPoolOps, Counter::kRequantOps}) {
      EXPECT_EQ(Get(rtl.end, c), Get(want, c)) << isa::CounterName(c);
    }
    EXPECT_EQ(Get(rtl.end, Counter::kMacs), 0u);
    EXPECT_EQ(Get(rtl.end, Counter::kWbufReads), 0u);
    EXPECT_EQ(Get(rtl.end, Counter::kIssueCycles), 0u) << "VECTOR does not use the array";
    EXPECT_EQ(Get(rtl.end, Counter::kCommands), s.commands.size());
    EXPECT_EQ(Get(rtl.end, Counter::kObufReads), 84u + 111u);
    // The first snapshot saw the first three VECTORs only.
    EXPECT_EQ(Get(rtl.snapshots[0], Counter::kObufWrites), 84u);
    EXPECT_GT(Get(rtl.end, Counter::kBusyCycles), 0u);
  }
}

// ---- Partial sums ----

// A conv layer of one fold: C channels of H x W, 3x3, stride 1, padding 1, n_valid outputs.
struct Conv {
  static constexpr uint32_t kC = 40, kH = 2, kW = 4, kK = 3, kNValid = 13;
  static constexpr uint32_t kBlocks = (kC + 15) / 16;
  static constexpr uint32_t kSteps = kC * kK * kK;
  std::vector<uint8_t> act;     // C x H x W
  std::vector<int8_t> weights;  // n x K (k in the hardware's reduction order)
  std::array<int32_t, 16> bias{};
};

Conv MakeConv(uint32_t seed, bool near_limits) {
  Conv c;
  std::mt19937 rng(seed);
  c.act = testcases::RandomActivations(rng, size_t{Conv::kC} * Conv::kH * Conv::kW);
  std::uniform_int_distribution<int> w(-127, 127);
  c.weights.resize(size_t{16} * Conv::kSteps);
  for (auto& x : c.weights) x = static_cast<int8_t>(w(rng));
  const int32_t max = std::numeric_limits<int32_t>::max();
  const int32_t min = std::numeric_limits<int32_t>::min();
  for (uint32_t n = 0; n < Conv::kNValid; ++n) {
    c.bias[n] = std::uniform_int_distribution<int32_t>(-50000, 50000)(rng);
    if (near_limits && n % 3 == 0) c.bias[n] = max - static_cast<int32_t>(20000 * n);
    if (near_limits && n % 3 == 1) c.bias[n] = min + static_cast<int32_t>(20000 * n);
  }
  return c;
}

// (channel, ky, kx) of reduction step k: channel block, ky, kx, channel in block.
void StepTap(uint32_t k, uint32_t* ch, uint32_t* ky, uint32_t* kx) {
  const uint32_t per_block = 16 * Conv::kK * Conv::kK;
  const uint32_t cb = k / per_block;
  const uint32_t in_block = std::min<uint32_t>(16, Conv::kC - 16 * cb);
  const uint32_t r = k - cb * per_block;
  *ch = 16 * cb + r % in_block;
  *kx = (r / in_block) % Conv::kK;
  *ky = (r / in_block) / Conv::kK;
}

// The direct reference: outputs (pixel-major words) and wrapped accumulation steps.
std::vector<uint8_t> Reference(const Conv& c, uint32_t shift, uint64_t* wraps) {
  std::vector<uint8_t> out(size_t{16} * Conv::kH * Conv::kW);
  *wraps = 0;
  for (uint32_t m = 0; m < Conv::kH * Conv::kW; ++m) {
    const int e = static_cast<int>(m / Conv::kW), f = static_cast<int>(m % Conv::kW);
    for (uint32_t n = 0; n < 16; ++n) {
      int64_t acc = c.bias[n];
      for (uint32_t k = 0; k < Conv::kSteps && n < Conv::kNValid; ++k) {
        uint32_t ch, ky, kx;
        StepTap(k, &ch, &ky, &kx);
        const int y = e + static_cast<int>(ky) - 1, x = f + static_cast<int>(kx) - 1;
        const bool pad =
            y < 0 || y >= static_cast<int>(Conv::kH) || x < 0 || x >= static_cast<int>(Conv::kW);
        const int a = pad ? 128 : c.act[(ch * Conv::kH + y) * Conv::kW + x];
        acc += (a - 128) * c.weights[size_t{16} * k + n];
        if (acc > std::numeric_limits<int32_t>::max()) {
          acc -= int64_t{1} << 32;
          ++*wraps;
        } else if (acc < std::numeric_limits<int32_t>::min()) {
          acc += int64_t{1} << 32;
          ++*wraps;
        }
      }
      out[16 * m + n] = Requantize(static_cast<int32_t>(acc), true, static_cast<int>(shift),
                                   Rounding::kNearestEven);
    }
  }
  return out;
}

// A chunk of the reduction: channel block `cb`, rows ky0..ky1-1 and columns kx0..kx1-1 of the
// kernel (a column range only within one row).
struct Chunk {
  uint32_t cb, ky0, ky1, kx0, kx1;
};

// The stream: LOAD act and weights, a VECTOR, the COMPUTE (whole or in chunks, with a VECTOR
// between two chunks: the PEs keep their sums meanwhile), a VECTOR, STORE, SNAPSHOT. `cols`:
// the array's columns (the weight tile's layout: cols / 16 words of biases and of each step).
Stream ConvStream(const Conv& c, uint32_t shift, const std::vector<Chunk>& chunks, uint32_t cols) {
  const uint32_t cw = cols / 16;
  Stream s;
  const uint32_t pixels = Conv::kH * Conv::kW;
  const uint32_t act_words = Conv::kBlocks * pixels;
  std::vector<uint8_t> act(size_t{16} * act_words, 0);
  for (uint32_t ch = 0; ch < Conv::kC; ++ch) {
    for (uint32_t p = 0; p < pixels; ++p) {
      act[16 * ((ch / 16) * pixels + p) + ch % 16] = c.act[ch * pixels + p];
    }
  }
  std::vector<uint8_t> weights(size_t{16} * (4 + Conv::kSteps) * cw, 0);
  for (uint32_t n = 0; n < 16; ++n) {
    const auto b = static_cast<uint32_t>(c.bias[n]);
    for (int i = 0; i < 4; ++i) weights[4 * n + i] = static_cast<uint8_t>(b >> (8 * i));
  }
  for (uint32_t k = 0; k < Conv::kSteps; ++k) {
    for (uint32_t n = 0; n < 16; ++n) {
      weights[16 * (4 + k) * cw + n] = static_cast<uint8_t>(c.weights[size_t{16} * k + n]);
    }
  }
  s.inputs.push_back({kInAddr, act});
  s.inputs.push_back({kWeightAddr, weights});
  s.Load(isa::Buffer::kAct, kInAddr, 0, act_words);
  s.Load(isa::Buffer::kWeight, kWeightAddr, 0, (4 + Conv::kSteps) * cw);
  s.SyncAll();
  // A ReLU of block 0 before and a 2x2 max pool of block 1 after the COMPUTE; one more ReLU
  // between two chunks.
  const isa::Vector relu = [] {
    isa::Vector v = MakeVector(isa::VectorOp::kMaxPool, 1, Conv::kH, Conv::kW, 1, 1, 0, Conv::kH,
                               Conv::kW, 0, 16);
    v.relu = true;
    return v;
  }();
  s.Vector(relu);

  isa::Compute whole;
  whole.relu = true;
  whole.rounding = Rounding::kNearestEven;
  whole.shift = shift;
  whole.kernel_h = whole.kernel_w = Conv::kK;
  whole.stride = 1;
  whole.channels = Conv::kC;
  whole.in_rows = Conv::kH;
  whole.in_width = Conv::kW;
  whole.y_off = whole.x_off = -1;
  whole.out_rows = Conv::kH;
  whole.out_width = Conv::kW;
  whole.n_valid = Conv::kNValid;
  if (chunks.empty()) {
    s.Compute(whole);
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& ch = chunks[i];
    const uint32_t block_channels = std::min<uint32_t>(16, Conv::kC - 16 * ch.cb);
    isa::Compute part = whole;
    part.acc_in = i > 0;
    part.acc_out = i + 1 < chunks.size();
    part.channels = block_channels;
    part.kernel_h = ch.ky1 - ch.ky0;
    part.kernel_w = ch.kx1 - ch.kx0;
    part.y_off = whole.y_off + static_cast<int32_t>(ch.ky0);
    part.x_off = whole.x_off + static_cast<int32_t>(ch.kx0);
    part.abuf_base = ch.cb * pixels;
    // The chunk's steps are the whole's k0 .. : its weights start at wbuf_base + (4 + k0) cw.
    part.wbuf_base =
        (16 * Conv::kK * Conv::kK * ch.cb + (ch.ky0 * Conv::kK + ch.kx0) * block_channels) * cw;
    s.Compute(part);
    if (i == 1) s.Vector(relu);  // overwrites the same words: the last one stays
  }
  s.Vector(MakeVector(isa::VectorOp::kMaxPool, 1, Conv::kH, Conv::kW, 2, 2, 0, Conv::kH / 2,
                      Conv::kW / 2, pixels, 24));
  s.SyncAll();
  s.Store(0, 26, kOutAddr);
  s.Snapshot();
  s.End();
  return s;
}

TEST(CoreStreamTest, PartialSumChunksEqualTheWholeCompute) {
  const std::vector<Chunk> chunks = {
      {0, 0, 3, 0, 3},  // block 0: 144 steps
      {1, 0, 2, 0, 3},  // block 1, rows 0-1
      {1, 2, 3, 0, 3},  // block 1, row 2
      {2, 0, 1, 0, 1},  // block 2 (8 channels), row 0, column 0: 8 steps, shorter than a fold
      {2, 0, 1, 1, 3},  // row 0, columns 1-2
      {2, 1, 3, 0, 3},  // rows 1-2: the last chunk drains
  };
  for (bool near_limits : {false, true}) {
    SCOPED_TRACE(near_limits ? "biases next to the int32 limits" : "ordinary biases");
    const Conv conv = MakeConv(near_limits ? 31 : 30, near_limits);
    const uint32_t shift = 11;
    uint64_t wraps = 0;
    const std::vector<uint8_t> want = Reference(conv, shift, &wraps);
    if (near_limits) {
      EXPECT_GT(wraps, 20u);
    } else {
      EXPECT_EQ(wraps, 0u);
    }
    for (const HwConfig& hw : {testcases::DefaultHw(), testcases::SmallHw()}) {
      SCOPED_TRACE(hw.name);
      const auto cols = static_cast<uint32_t>(hw.array_cols);
      const Stream whole = ConvStream(conv, shift, {}, cols);
      const Stream split = ConvStream(conv, shift, chunks, cols);
      BareDevice bare(hw);
      FunctionalDevice functional(hw);
      const Result rtl_whole = RunStream(bare, whole);
      const Result rtl_split = RunStream(bare, split);
      const Result ref_whole = RunStream(functional, whole);
      const Result ref_split = RunStream(functional, split);
      ExpectSameRun(rtl_whole, ref_whole);
      ExpectSameRun(rtl_split, ref_split);

      // Split == whole: the outputs, and every untimed counter once the split stream's extra
      // commands (the chunks for one COMPUTE, and the ReLU between two chunks: 8 words read,
      // pooled and written) are taken out.
      ASSERT_EQ(rtl_split.outputs, rtl_whole.outputs);
      Counters split_end = rtl_split.end;
      split_end[static_cast<int>(Counter::kCommands)] -= chunks.size();
      split_end[static_cast<int>(Counter::kAbufReads)] -= 8;
      split_end[static_cast<int>(Counter::kVecOps)] -= 16 * 8;
      split_end[static_cast<int>(Counter::kObufWrites)] -= 8;
      ExpectSameUntimed(split_end, rtl_whole.end, "split vs whole");
      EXPECT_EQ(Get(rtl_split.end, Counter::kAccWraps), wraps);
      EXPECT_EQ(Get(rtl_split.end, Counter::kMacs),
                uint64_t{Conv::kSteps} * Conv::kH * Conv::kW * Conv::kNValid);

      // The COMPUTE's words (0..7) are the reference's; the ReLU (16..23) and the pool
      // (24, 25) are what they say.
      const std::vector<uint8_t>& got = rtl_split.outputs[0];
      for (uint32_t i = 0; i < 16 * Conv::kH * Conv::kW; ++i) {
        ASSERT_EQ(int{got[i]}, int{want[i]}) << "pixel " << i / 16 << " channel " << i % 16;
      }
      for (uint32_t p = 0; p < Conv::kH * Conv::kW; ++p) {
        for (uint32_t l = 0; l < 16; ++l) {
          const uint8_t a = l < Conv::kC ? conv.act[l * Conv::kH * Conv::kW + p] : 0;
          EXPECT_EQ(got[16 * (16 + p) + l], std::max<uint8_t>(a, 128));
        }
      }
    }
  }
}

}  // namespace
}  // namespace sasim
