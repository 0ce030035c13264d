// sa_vec alone (Verilated with a 4096-word activation buffer and a 1024-word output buffer, both
// played by C++) against the contract: VECTOR's semantics as contract/isa.h states them, with
// the arithmetic of contract/quant.h (AverageCodes, the exact mean, for the average;
// AddRequantize for the add). Max and average pools over randomized shapes: 2x2/2 on odd maps,
// 3x3/2 with padding (offsets -1), global averages of 4x4 and 7x7, non-power-of-two windows;
// adds with many shift combinations, with and without relu; a 1x1 relu. Every output word, every
// counter event and the cycle count are checked, and the assertions refuse bad commands.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "Vsa_vec.h"
#include "contract/errors.h"
#include "contract/isa.h"
#include "contract/quant.h"
#include "sim/verilated_harness.h"
#include "tests/rtl/sv_package.h"

namespace sasim {
namespace {

constexpr uint32_t kAbufWords = 4096;  // rtl/CMakeLists.txt builds Vsa_vec with these
constexpr uint32_t kObufWords = 1024;

using Word = std::array<uint8_t, 16>;

// What the contract says a VECTOR writes: output word index -> word (o_base + index).
std::vector<Word> Expected(const isa::Vector& v, const std::vector<Word>& abuf, uint64_t* reads) {
  std::vector<Word> out;
  *reads = 0;
  auto word = [&](uint32_t base, uint32_t b, int64_t y, int64_t x) {
    ++*reads;
    return abuf.at(base + (uint64_t{b} * v.in_rows + y) * v.in_width + x);
  };
  const AddShifts shifts{static_cast<int>(v.a_shift), static_cast<int>(v.b_shift),
                         static_cast<int>(v.out_shift)};
  for (uint32_t b = 0; b < v.channel_blocks; ++b) {
    for (uint32_t e = 0; e < v.out_rows; ++e) {
      for (uint32_t f = 0; f < v.out_width; ++f) {
        Word o{};
        if (v.op == isa::VectorOp::kAdd) {
          const Word a = word(v.a_base, b, e, f), bw = word(v.b_base, b, e, f);
          for (int l = 0; l < 16; ++l) o[l] = AddRequantize(a[l], bw[l], shifts, v.relu);
        } else {
          std::array<uint32_t, 16> max{}, sum{};
          bool any = false;
          for (uint32_t ky = 0; ky < v.kernel_h; ++ky) {
            for (uint32_t kx = 0; kx < v.kernel_w; ++kx) {
              const int64_t y = int64_t{e} * v.stride + ky + v.y_off;
              const int64_t x = int64_t{f} * v.stride + kx + v.x_off;
              if (y < 0 || y >= v.in_rows || x < 0 || x >= v.in_width) continue;
              const Word w = word(v.a_base, b, y, x);
              for (int l = 0; l < 16; ++l) {
                max[l] = any ? std::max<uint32_t>(max[l], w[l]) : w[l];
                sum[l] += w[l];
              }
              any = true;
            }
          }
          for (int l = 0; l < 16; ++l) {
            const uint8_t q = v.op == isa::VectorOp::kMaxPool
                                  ? static_cast<uint8_t>(max[l])
                                  : AverageCodes(sum[l], v.kernel_h * v.kernel_w);
            o[l] = v.relu ? std::max<uint8_t>(q, 128) : q;
          }
        }
        out.push_back(o);
      }
    }
  }
  return out;
}

class VecRtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    abuf_.resize(kAbufWords);
    for (auto& w : abuf_) {
      for (auto& b : w) b = static_cast<uint8_t>(byte_(rng_));
    }
    sim_.Reset(2, [this] { Cycle(); });
  }

  void Cycle() {
    sim_.Tick([this] {
      // The activation buffer's read port is combinational: answer the address, then settle.
      const Word& w = abuf_[sim_->abuf_raddr_o % kAbufWords];
      for (int l = 0; l < 16; ++l) PutBits(sim_->abuf_rdata_i, 8 * l, 8, w[l]);
      sim_.Eval();
      if (sim_->busy_o) ++busy_;
      if (sim_->abuf_re_o) ++reads_;
      vec_ops_ += sim_->ev_vec_ops_o;
      requant_ += sim_->ev_requant_o;
      if (sim_->obuf_we_o) {
        Word o;
        for (int l = 0; l < 16; ++l)
          o[l] = static_cast<uint8_t>(GetBits(sim_->obuf_wdata_o, 8 * l, 8));
        writes_.push_back({sim_->obuf_waddr_o, o});
      }
      if (sim_->done_o) ++done_;
    });
  }

  void Start(const isa::Vector& v) {
    const auto& s = testing::SaPkg().Struct("vector_cmd_t");
    auto put = [&](const char* name, uint64_t value) {
      PutBits(sim_->cmd_i, s.field(name).lsb, s.field(name).width, value);
    };
    put("op", static_cast<uint64_t>(v.op));
    put("relu", v.relu);
    put("out_shift", v.out_shift);
    put("a_shift", v.a_shift);
    put("b_shift", v.b_shift);
    put("stride", v.stride);
    put("kernel_h", v.kernel_h);
    put("kernel_w", v.kernel_w);
    put("channel_blocks", v.channel_blocks);
    put("in_rows", v.in_rows);
    put("in_width", v.in_width);
    put("out_rows", v.out_rows);
    put("out_width", v.out_width);
    put("a_base", v.a_base);
    put("b_base", v.b_base);
    put("o_base", v.o_base);
    put("y_off", static_cast<uint16_t>(v.y_off));
    put("x_off", static_cast<uint16_t>(v.x_off));
    put("recip", v.recip);
    ASSERT_FALSE(sim_->busy_o) << "a command only when idle";
    sim_->start_i = 1;
    Cycle();
    sim_->start_i = 0;
  }

  // Runs `v` and checks everything against the contract; `what` names the case.
  void RunAndCheck(const isa::Vector& v, const std::string& what) {
    SCOPED_TRACE(what + ": " + isa::Describe(isa::EncodeVector(v)));
    busy_ = reads_ = vec_ops_ = requant_ = done_ = 0;
    writes_.clear();
    Start(v);
    for (int i = 0; i < 2000000 && done_ == 0; ++i) Cycle();
    ASSERT_EQ(done_, 1u);
    Cycle();
    EXPECT_FALSE(sim_->busy_o) << "idle after done";
    EXPECT_EQ(done_, 1u) << "one done per command";

    uint64_t reads = 0;
    const std::vector<Word> want = Expected(v, abuf_, &reads);
    const uint64_t words = want.size();
    ASSERT_EQ(writes_.size(), words);
    for (uint64_t i = 0; i < words; ++i) {
      ASSERT_EQ(writes_[i].first, v.o_base + i) << "output words in raster order, block by block";
      for (int l = 0; l < 16; ++l) {
        ASSERT_EQ(int{writes_[i].second[l]}, int{want[i][l]}) << "word " << i << " lane " << l;
      }
    }
    // Events (docs/isa.md): a read per tap inside, 16 lane operations per read, 16 pool or
    // requant operations per output word.
    const bool add = v.op == isa::VectorOp::kAdd, avg = v.op == isa::VectorOp::kAvgPool;
    EXPECT_EQ(reads_, reads);
    EXPECT_EQ(vec_ops_, 16 * reads);
    EXPECT_EQ(requant_, add || avg ? 16 * words : 0);
    // One tap (read or padding) per cycle, plus one cycle for the last write.
    const uint64_t taps = add ? 2 : uint64_t{v.kernel_h} * v.kernel_w;
    EXPECT_EQ(busy_, words * taps + 1);
  }

  isa::Vector Pool(isa::VectorOp op, uint32_t in_rows, uint32_t in_width, uint32_t k,
                   uint32_t stride, int32_t off, uint32_t out_rows, uint32_t out_width) {
    isa::Vector v;
    v.op = op;
    v.in_rows = in_rows;
    v.in_width = in_width;
    v.kernel_h = v.kernel_w = k;
    v.stride = stride;
    v.y_off = v.x_off = off;
    v.out_rows = out_rows;
    v.out_width = out_width;
    v.recip = AvgReciprocal(k * k);
    return v;
  }

  VerilatedHarness<Vsa_vec> sim_{"vec"};
  std::vector<Word> abuf_;
  std::mt19937 rng_{2024};
  std::uniform_int_distribution<int> byte_{0, 255};
  uint64_t busy_ = 0, reads_ = 0, vec_ops_ = 0, requant_ = 0, done_ = 0;
  std::vector<std::pair<uint32_t, Word>> writes_;
};

TEST_F(VecRtlTest, MaxPool2x2Stride2OnOddMaps) {
  for (uint32_t h : {5u, 7u, 9u}) {
    for (uint32_t w : {3u, 7u, 11u}) {
      // Floor (every tap inside) and ceil (the last row/column of windows half outside: the
      // outside taps are skipped).
      isa::Vector v = Pool(isa::VectorOp::kMaxPool, h, w, 2, 2, 0, h / 2, w / 2);
      v.channel_blocks = 2;
      v.a_base = 37;
      v.o_base = 5;
      RunAndCheck(v, "floor");
      v.out_rows = (h + 1) / 2;
      v.out_width = (w + 1) / 2;
      v.relu = true;
      RunAndCheck(v, "ceil, relu");
    }
  }
}

TEST_F(VecRtlTest, MaxPool3x3Stride2WithPadding) {
  for (uint32_t h : {4u, 7u, 8u}) {
    isa::Vector v = Pool(isa::VectorOp::kMaxPool, h, h + 1, 3, 2, -1, (h + 1) / 2, (h + 2) / 2);
    v.channel_blocks = 3;
    v.a_base = 100;
    v.o_base = 700;
    RunAndCheck(v, "3x3/2 pad 1");
  }
  // A window entirely outside the input reads nothing: 0, or 128 with relu.
  isa::Vector v = Pool(isa::VectorOp::kMaxPool, 3, 3, 2, 1, -2, 3, 3);
  RunAndCheck(v, "windows reaching far outside");
  v.relu = true;
  RunAndCheck(v, "windows reaching far outside, relu");
}

TEST_F(VecRtlTest, GlobalAndWindowedAverages) {
  for (uint32_t k : {4u, 7u}) {
    isa::Vector v = Pool(isa::VectorOp::kAvgPool, k, k, k, 1, 0, 1, 1);
    v.channel_blocks = 5;
    v.a_base = 3;
    RunAndCheck(v, "global average " + std::to_string(k));
  }
  // 3x3 (a non-power-of-two count), stride 1 and 3; 5x3 windows; relu.
  RunAndCheck(Pool(isa::VectorOp::kAvgPool, 6, 6, 3, 1, 0, 4, 4), "3x3/1");
  RunAndCheck(Pool(isa::VectorOp::kAvgPool, 9, 12, 3, 3, 0, 3, 4), "3x3/3");
  isa::Vector v = Pool(isa::VectorOp::kAvgPool, 10, 6, 5, 1, 0, 6, 4);
  v.kernel_w = 3;
  v.recip = AvgReciprocal(15);
  v.relu = true;
  v.channel_blocks = 2;
  RunAndCheck(v, "5x3/1 relu");
  // Ties: every 2x2 window holds 5l twice and 5l + 1 twice in lane l, a mean of 5l + 1/2:
  // rounded down for even l, up for odd l.
  for (uint32_t i = 0; i < 4 * 4; ++i) {
    for (int l = 0; l < 16; ++l) abuf_[i][l] = static_cast<uint8_t>(5 * l + ((i + l) % 2));
  }
  RunAndCheck(Pool(isa::VectorOp::kAvgPool, 4, 4, 2, 2, 0, 2, 2), "ties");
  // Extremes: a 15x15 window of 255 and one of 0.
  for (uint32_t i = 0; i < 225; ++i) abuf_[i].fill(255);
  for (uint32_t i = 225; i < 450; ++i) abuf_[i].fill(0);
  v = Pool(isa::VectorOp::kAvgPool, 15, 15, 15, 1, 0, 1, 1);
  v.channel_blocks = 2;
  RunAndCheck(v, "all 255, all 0");
}

TEST_F(VecRtlTest, AddWithShiftsAndRelu) {
  const std::array<std::array<uint32_t, 3>, 7> shifts = {
      {{0, 0, 0}, {0, 0, 1}, {1, 0, 1}, {0, 3, 2}, {7, 0, 9}, {15, 15, 31}, {4, 11, 14}}};
  for (const auto& [a, b, out] : shifts) {
    for (bool relu : {false, true}) {
      isa::Vector v;
      v.op = isa::VectorOp::kAdd;
      v.a_shift = a;
      v.b_shift = b;
      v.out_shift = out;
      v.relu = relu;
      v.channel_blocks = 2;
      v.in_rows = v.out_rows = 5;
      v.in_width = v.out_width = 7;
      v.a_base = 11;
      v.b_base = 400;
      v.o_base = 3;
      RunAndCheck(v, "add " + std::to_string(a) + "," + std::to_string(b) + "," +
                         std::to_string(out) + (relu ? " relu" : ""));
    }
  }
  // Every pair of codes (a, b), half of them per run: lane pair P = 16 * word + lane holds
  // a = P / 256, b = P % 256; at shifts whose halves fall on ties of both signs.
  for (const auto& [a, b, out] : {std::array<uint32_t, 3>{1, 0, 2}, {0, 3, 4}}) {
    for (uint32_t half = 0; half < 2; ++half) {
      for (uint32_t w = 0; w < 2048; ++w) {
        for (uint32_t l = 0; l < 16; ++l) {
          const uint32_t pair = 32768 * half + 16 * w + l;
          abuf_[w][l] = static_cast<uint8_t>(pair >> 8);
          abuf_[2048 + w][l] = static_cast<uint8_t>(pair & 255);
        }
      }
      isa::Vector v;
      v.op = isa::VectorOp::kAdd;
      v.in_rows = v.out_rows = 32;
      v.in_width = v.out_width = 64;
      v.b_base = 2048;
      v.o_base = 0;
      v.a_shift = a;
      v.b_shift = b;
      v.out_shift = out;
      v.relu = half == 1;
      // 2048 output words do not fit the 1024-word output buffer: two commands per half.
      v.in_rows = v.out_rows = 16;
      RunAndCheck(v, "every pair, first rows");
      v.a_base = 1024;
      v.b_base = 2048 + 1024;
      RunAndCheck(v, "every pair, last rows");
    }
  }
}

TEST_F(VecRtlTest, OneByOneReluIsAReluLayer) {
  isa::Vector v = Pool(isa::VectorOp::kMaxPool, 6, 5, 1, 1, 0, 6, 5);
  v.relu = true;
  v.channel_blocks = 4;
  v.o_base = 900 - 120;
  RunAndCheck(v, "1x1 relu");
  for (uint64_t i = 0; i < writes_.size(); ++i) {
    for (int l = 0; l < 16; ++l) {
      EXPECT_EQ(writes_[i].second[l], std::max<uint8_t>(abuf_[i][l], 128));
    }
  }
}

TEST_F(VecRtlTest, RandomCommandsBackToBack) {
  std::mt19937 rng(77);
  auto u = [&](uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 60; ++i) {
    isa::Vector v;
    v.op = static_cast<isa::VectorOp>(u(0, 2));
    v.relu = u(0, 1);
    v.channel_blocks = u(1, 3);
    v.in_rows = u(1, 12);
    v.in_width = u(1, 12);
    if (v.op == isa::VectorOp::kAdd) {
      v.out_rows = v.in_rows;
      v.out_width = v.in_width;
      v.a_shift = u(0, 15);
      v.b_shift = u(0, 15);
      v.out_shift = u(0, 31);
    } else {
      v.kernel_h = u(1, std::min<uint32_t>(v.in_rows, 5));
      v.kernel_w = u(1, std::min<uint32_t>(v.in_width, 5));
      v.stride = u(1, 3);
      if (v.op == isa::VectorOp::kMaxPool) {
        v.y_off = -static_cast<int32_t>(u(0, v.kernel_h - 1));
        v.x_off = -static_cast<int32_t>(u(0, v.kernel_w - 1));
        v.out_rows = (v.in_rows - 1 - v.y_off) / v.stride + 1;
        v.out_width = (v.in_width - 1 - v.x_off) / v.stride + 1;
      } else {
        v.out_rows = (v.in_rows - v.kernel_h) / v.stride + 1;
        v.out_width = (v.in_width - v.kernel_w) / v.stride + 1;
        v.recip = AvgReciprocal(v.kernel_h * v.kernel_w);
      }
    }
    const uint32_t plane = v.channel_blocks * v.in_rows * v.in_width;
    v.a_base = u(0, 1000);
    v.b_base = v.a_base + plane + u(0, 50);
    v.o_base = u(0, kObufWords - v.channel_blocks * v.out_rows * v.out_width);
    RunAndCheck(v, "random " + std::to_string(i));
    if (HasFailure()) return;
  }
}

// The assertions refuse what isa::Validate refuses and what would leave a buffer.
TEST_F(VecRtlTest, ReadPastTheBufferIsRefused) {
  isa::Vector v = Pool(isa::VectorOp::kMaxPool, 4, 4, 2, 2, 0, 2, 2);
  v.a_base = kAbufWords - 10;
  EXPECT_THROW(RunAndCheck(v, "read past"), SimulationError);
}

TEST_F(VecRtlTest, WritePastTheBufferIsRefused) {
  isa::Vector v = Pool(isa::VectorOp::kMaxPool, 4, 4, 1, 1, 0, 4, 4);
  v.o_base = kObufWords - 3;
  EXPECT_THROW(RunAndCheck(v, "write past"), SimulationError);
}

TEST_F(VecRtlTest, AverageWithPaddingIsRefused) {
  EXPECT_THROW(RunAndCheck(Pool(isa::VectorOp::kAvgPool, 4, 4, 3, 1, -1, 4, 4), "avg pad"),
               SimulationError);
}

TEST_F(VecRtlTest, WrongReciprocalIsRefused) {
  isa::Vector v = Pool(isa::VectorOp::kAvgPool, 4, 4, 3, 1, 0, 2, 2);
  v.recip = AvgReciprocal(8);
  EXPECT_THROW(Start(v), SimulationError);
}

TEST_F(VecRtlTest, AddWithAWindowIsRefused) {
  isa::Vector v;
  v.op = isa::VectorOp::kAdd;
  v.in_rows = v.in_width = 4;
  v.out_rows = v.out_width = 2;
  EXPECT_THROW(Start(v), SimulationError);
}

}  // namespace
}  // namespace sasim
