// The command encoding: every field survives encode -> decode, bad values are refused.
#include "contract/isa.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/isa_checks.h"

namespace sasim::isa {
namespace {

TEST(IsaTest, ComputeRoundTripsEveryField) {
  std::mt19937 rng(11);
  auto u = [&](uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 2000; ++i) {
    Compute c;
    c.relu = u(0, 1);
    c.rounding = u(0, 1) ? Rounding::kNearestEven : Rounding::kFloor;
    c.shift = u(0, 31);
    c.kernel_h = u(1, 15);
    c.kernel_w = u(1, 15);
    c.stride = u(1, 15);
    c.channels = u(1, 0xffff);
    c.in_width = u(1, 0xffff);
    c.in_rows = u(1, 0xffff);
    c.y_off = static_cast<int32_t>(u(0, 0xffff)) - 32768;
    c.x_off = static_cast<int32_t>(u(0, 0xffff)) - 32768;
    c.out_rows = 2 * u(1, 0x7fff);
    c.out_width = 2 * u(1, 0x7fff);
    c.pool = u(0, 1);
    c.abuf_base = u(0, 0xffff);
    c.wbuf_base = u(0, 0xffff);
    c.obuf_base = u(0, 0xffff);
    c.n_valid = u(1, 16);
    if (!c.pool) {  // partial sums cannot pool
      c.acc_in = u(0, 1);
      c.acc_out = u(0, 1);
    }
    const CommandWords w = EncodeCompute(c);
    ASSERT_EQ(DecodeOpcode(w), Opcode::kCompute);
    const Compute d = DecodeCompute(w);
    testcases::ExpectSameCompute(d, c);
    if (HasFailure()) return;
  }
}

TEST(IsaTest, VectorRoundTripsEveryField) {
  std::mt19937 rng(12);
  auto u = [&](uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 2000; ++i) {
    Vector v;
    v.op = static_cast<VectorOp>(u(0, 2));
    v.relu = u(0, 1);
    v.out_shift = u(0, 31);
    v.a_shift = u(0, 15);
    v.b_shift = u(0, 15);
    v.channel_blocks = u(1, 0xffff);
    v.in_rows = u(1, 0xffff);
    v.in_width = u(1, 0xffff);
    v.a_base = u(0, 0xffff);
    v.b_base = u(0, 0xffff);
    v.o_base = u(0, 0xffff);
    v.out_rows = v.in_rows;
    v.out_width = v.in_width;
    if (v.op != VectorOp::kAdd) {
      v.stride = u(1, 255);
      v.kernel_h = u(1, 255);
      v.kernel_w = u(1, 255);
      v.out_rows = u(1, 0xffff);
      v.out_width = u(1, 0xffff);
      v.y_off = static_cast<int32_t>(u(0, 0xffff)) - 32768;
      v.x_off = static_cast<int32_t>(u(0, 0xffff)) - 32768;
    }
    v.recip =
        v.op == VectorOp::kAvgPool ? AvgReciprocal(v.kernel_h * v.kernel_w) : u(0, 0xffffffff);
    const CommandWords w = EncodeVector(v);
    ASSERT_EQ(DecodeOpcode(w), Opcode::kVector);
    testcases::ExpectSameVector(DecodeVector(w), v);
    if (HasFailure()) return;
  }
}

TEST(IsaTest, VectorRefusesWhatTheUnitCannotRun) {
  Vector v;
  EXPECT_NO_THROW(EncodeVector(v));
  for (auto bad : std::vector<void (*)(Vector&)>{
           [](Vector& x) { x.op = static_cast<VectorOp>(3); }, [](Vector& x) { x.a_shift = 16; },
           [](Vector& x) { x.out_shift = 32; }, [](Vector& x) { x.stride = 0; },
           [](Vector& x) { x.kernel_w = 256; }, [](Vector& x) { x.channel_blocks = 0; },
           [](Vector& x) { x.out_rows = 0; }, [](Vector& x) { x.y_off = -32769; },
           [](Vector& x) {  // avg: the reciprocal of another count
             x.op = VectorOp::kAvgPool;
             x.kernel_h = 3;
             x.recip = AvgReciprocal(4);
           },
           [](Vector& x) {  // add: no window
             x.op = VectorOp::kAdd;
             x.kernel_h = 2;
           },
           [](Vector& x) {  // add: out = in
             x.op = VectorOp::kAdd;
             x.out_width = 2;
           },
           [](Vector& x) {  // add: no offsets
             x.op = VectorOp::kAdd;
             x.x_off = -1;
           }}) {
    Vector x;
    bad(x);
    EXPECT_THROW(EncodeVector(x), std::invalid_argument) << Describe(EncodeVector(Vector{}));
  }
  Compute c;
  c.acc_out = true;
  c.pool = true;
  c.out_rows = c.out_width = 2;
  EXPECT_THROW(EncodeCompute(c), std::invalid_argument);
}

TEST(IsaTest, TransferAndSyncRoundTrip) {
  Transfer t{Buffer::kWeight, 0x123450, 0x800, 17, 33, 580, 3};
  const CommandWords w = EncodeTransfer(Opcode::kStore, t);
  EXPECT_EQ(DecodeOpcode(w), Opcode::kStore);
  const Transfer d = DecodeTransfer(w);
  EXPECT_EQ(d.buffer, t.buffer);
  EXPECT_EQ(d.dram_addr, t.dram_addr);
  EXPECT_EQ(d.dram_stride, t.dram_stride);
  EXPECT_EQ(d.sram_addr, t.sram_addr);
  EXPECT_EQ(d.sram_stride, t.sram_stride);
  EXPECT_EQ(d.row_words, t.row_words);
  EXPECT_EQ(d.rows, t.rows);
  const Sync s = DecodeSync(EncodeSync({7, 9}));
  EXPECT_EQ(s.dma_jobs, 7u);
  EXPECT_EQ(s.compute_jobs, 9u);
  EXPECT_EQ(DecodeOpcode(EncodeEnd()), Opcode::kEnd);
}

TEST(IsaTest, RefusesValuesThatDoNotFit) {
  Compute c;
  c.shift = 32;
  EXPECT_THROW(EncodeCompute(c), std::invalid_argument);
  c = Compute{};
  c.pool = true;
  c.out_rows = 3;
  EXPECT_THROW(EncodeCompute(c), std::invalid_argument);
  Transfer t{Buffer::kAct, 0x1008, 0, 0, 0, 1, 1};  // unaligned DRAM address
  EXPECT_THROW(EncodeTransfer(Opcode::kLoad, t), std::invalid_argument);
  t.dram_addr = 0x1000;
  t.row_words = 0;
  EXPECT_THROW(EncodeTransfer(Opcode::kLoad, t), std::invalid_argument);
}

TEST(IsaTest, DescribeNamesTheCommand) {
  EXPECT_EQ(Describe(EncodeEnd()), "END");
  EXPECT_EQ(Describe(EncodeSync({3, 4})), "SYNC dma>=3 compute>=4");
  CommandWords bad{};
  bad[0] = 0x77;
  EXPECT_EQ(Describe(bad), "ILLEGAL opcode 119");
  Vector v;
  v.op = VectorOp::kAdd;
  v.a_shift = 3;
  v.out_shift = 4;
  EXPECT_EQ(Describe(EncodeVector(v)).rfind("VECTOR add ", 0), 0u) << Describe(EncodeVector(v));
  Compute c;
  c.acc_in = true;
  EXPECT_NE(Describe(EncodeCompute(c)).find(" acc_in"), std::string::npos);
}

}  // namespace
}  // namespace sasim::isa
