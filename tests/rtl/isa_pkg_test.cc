// rtl/sa_pkg.sv mirrors contract/isa.h: every opcode, buffer, CSR offset, controller state,
// rounding mode and performance counter has the same value on both sides, and the counters
// have the same names in the same order (CounterName "dram_read_bytes" is CntDramReadBytes).
// Renaming, renumbering, adding or reordering an entry on one side only fails here. The
// command field positions are held equal by tests/rtl/ctrl_test.cc, which decodes commands
// encoded by contract/isa.cc in the Verilated controller; the VECTOR layout and COMPUTE's
// partial-sum flags are also checked here, bit by bit against isa.cc's encoder and decoder.
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "contract/isa.h"
#include "contract/quant.h"
#include "tests/rtl/sv_package.h"

namespace sasim {
namespace {

using testing::SvEnum;
using testing::SvPackage;
using testing::SvStruct;

const SvPackage& Pkg() { return testing::SaPkg(); }

// "dram_read_bytes" -> "DramReadBytes"; "IDLE" -> "Idle".
std::string Camel(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char ch : name) {
    if (ch == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch)))
                 : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    upper = false;
  }
  return out;
}

void ExpectEnum(const SvEnum& e, const std::vector<std::pair<std::string, uint64_t>>& want,
                const std::string& what) {
  ASSERT_EQ(e.entries.size(), want.size()) << what << ": entries";
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(e.entries[i].first, want[i].first) << what << " entry " << i;
    EXPECT_EQ(e.entries[i].second, want[i].second) << what << " " << want[i].first;
  }
}

TEST(IsaPkgTest, CountersHaveTheSameNamesValuesAndOrder) {
  std::vector<std::pair<std::string, uint64_t>> want;
  for (int i = 0; i < isa::kNumCounters; ++i) {
    want.emplace_back("Cnt" + Camel(isa::CounterName(static_cast<isa::Counter>(i))), i);
  }
  ExpectEnum(Pkg().Enum("counter_e"), want, "counter_e vs isa::Counter");
  EXPECT_EQ(Pkg().Param("NumCounters"), static_cast<uint64_t>(isa::kNumCounters));
  // The enum is wide enough for every counter and the CSR map holds them all.
  EXPECT_LE(isa::kNumCounters, 1 << Pkg().Enum("counter_e").width);
  EXPECT_LE(isa::csr::kCounterBase + 8 * isa::kNumCounters, 1u << Pkg().Param("CsrAddrW"));
}

TEST(IsaPkgTest, OpcodesAndBuffers) {
  using isa::Opcode;
  auto op = [](Opcode o) { return static_cast<uint64_t>(o); };
  ExpectEnum(Pkg().Enum("opcode_e"),
             {{"OpEnd", op(Opcode::kEnd)},
              {"OpLoad", op(Opcode::kLoad)},
              {"OpStore", op(Opcode::kStore)},
              {"OpCompute", op(Opcode::kCompute)},
              {"OpSync", op(Opcode::kSync)},
              {"OpSnap", op(Opcode::kSnapshot)},
              {"OpVector", op(Opcode::kVector)}},
             "opcode_e vs isa::Opcode");
  using isa::Buffer;
  auto buf = [](Buffer b) { return static_cast<uint64_t>(b); };
  ExpectEnum(Pkg().Enum("buffer_e"),
             {{"BufAct", buf(Buffer::kAct)}, {"BufWeight", buf(Buffer::kWeight)},
              {"BufOut", buf(Buffer::kOut)}, {"BufCounters", buf(Buffer::kCounters)}},
             "buffer_e vs isa::Buffer");
  EXPECT_EQ(Pkg().Param("CmdWords"), static_cast<uint64_t>(isa::kCommandWords));
  EXPECT_EQ(Pkg().Param("WordBytes"), static_cast<uint64_t>(isa::kWordBytes));
  EXPECT_EQ(Pkg().Param("DmaQueueDepth"), static_cast<uint64_t>(isa::kDmaQueueDepth));
  EXPECT_EQ(Pkg().Param("DmaSlots"), static_cast<uint64_t>(isa::kDmaSlots));
  EXPECT_EQ(Pkg().Param("FetchCommands"), static_cast<uint64_t>(isa::kFetchCommands));
  EXPECT_EQ(Pkg().Param("FifoCommands"), static_cast<uint64_t>(isa::kFifoCommands));
  // Every command layout covers exactly the 256 bits of a command.
  for (const char* s :
       {"cmd_transfer_t", "cmd_compute_t", "cmd_vector_t", "cmd_sync_t", "cmd_snapshot_t"}) {
    EXPECT_EQ(Pkg().Struct(s).width, isa::kCommandWords * 32) << s;
  }
}

TEST(IsaPkgTest, ControllerStatesAndRounding) {
  std::vector<std::pair<std::string, uint64_t>> states;
  for (uint32_t s = 0; s <= static_cast<uint32_t>(isa::CtrlState::kError); ++s) {
    states.emplace_back("Ctrl" + Camel(isa::CtrlStateName(s)), s);
  }
  ExpectEnum(Pkg().Enum("ctrl_state_e"), states, "ctrl_state_e vs isa::CtrlState");
  ExpectEnum(Pkg().Enum("round_mode_e"),
             {{"Round" + Camel(std::string(RoundingName(Rounding::kFloor))),
               static_cast<uint64_t>(Rounding::kFloor)},
              {"Round" + Camel(std::string(RoundingName(Rounding::kNearestEven))),
               static_cast<uint64_t>(Rounding::kNearestEven)}},
             "round_mode_e vs Rounding");
}

TEST(IsaPkgTest, VectorOps) {
  using isa::VectorOp;
  auto op = [](VectorOp o) { return static_cast<uint64_t>(o); };
  ExpectEnum(Pkg().Enum("vec_op_e"),
             {{"VecMaxPool", op(VectorOp::kMaxPool)},
              {"VecAvgPool", op(VectorOp::kAvgPool)},
              {"VecAdd", op(VectorOp::kAdd)}},
             "vec_op_e vs isa::VectorOp");
}

using Words = isa::CommandWords;

// Every VECTOR field sits where contract/isa.cc puts it: random valid commands encoded by isa.cc
// read back field by field through cmd_vector_t's positions, and words packed through those
// positions decode (isa::DecodeVector) to the values packed.
TEST(IsaPkgTest, VectorLayoutIsTheEncodersBitForBit) {
  const SvStruct& s = Pkg().Struct("cmd_vector_t");
  std::mt19937 rng(21);
  auto u = [&](uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  };
  auto field = [&](const Words& w, const char* name) -> uint64_t {
    const auto& f = s.field(name);
    uint64_t v = 0;
    for (int b = 0; b < f.width; ++b) {
      v |= uint64_t{(w[(f.lsb + b) / 32] >> ((f.lsb + b) % 32)) & 1} << b;
    }
    return v;
  };
  auto put = [&](Words& w, const char* name, uint64_t v) {
    const auto& f = s.field(name);
    for (int b = 0; b < f.width; ++b) {
      const int bit = f.lsb + b;
      w[bit / 32] =
          (w[bit / 32] & ~(1u << (bit % 32))) | (static_cast<uint32_t>((v >> b) & 1) << (bit % 32));
    }
  };
  auto s16 = [](uint64_t v) { return static_cast<int32_t>(static_cast<int16_t>(v)); };
  for (int i = 0; i < 500; ++i) {
    SCOPED_TRACE(i);
    isa::Vector v;
    v.op = static_cast<isa::VectorOp>(u(0, 1));  // the pools: every field is free
    v.relu = u(0, 1);
    v.out_shift = u(0, 31);
    v.a_shift = u(0, 15);
    v.b_shift = u(0, 15);
    v.stride = u(1, 255);
    v.kernel_h = u(1, 255);
    v.kernel_w = u(1, 255);
    v.channel_blocks = u(1, 0xffff);
    v.in_rows = u(1, 0xffff);
    v.in_width = u(1, 0xffff);
    v.out_rows = u(1, 0xffff);
    v.out_width = u(1, 0xffff);
    v.a_base = u(0, 0xffff);
    v.b_base = u(0, 0xffff);
    v.o_base = u(0, 0xffff);
    v.y_off = static_cast<int32_t>(u(0, 0xffff)) - 32768;
    v.x_off = static_cast<int32_t>(u(0, 0xffff)) - 32768;
    v.recip =
        v.op == isa::VectorOp::kAvgPool ? AvgReciprocal(v.kernel_h * v.kernel_w) : u(0, 0xffffffff);
    const Words w = isa::EncodeVector(v);
    EXPECT_EQ(field(w, "opcode"), static_cast<uint64_t>(isa::Opcode::kVector));
    EXPECT_EQ(field(w, "op"), static_cast<uint64_t>(v.op));
    EXPECT_EQ(field(w, "relu"), uint64_t{v.relu});
    EXPECT_EQ(field(w, "out_shift"), v.out_shift);
    EXPECT_EQ(field(w, "a_shift"), v.a_shift);
    EXPECT_EQ(field(w, "b_shift"), v.b_shift);
    EXPECT_EQ(field(w, "stride"), v.stride);
    EXPECT_EQ(field(w, "kernel_h"), v.kernel_h);
    EXPECT_EQ(field(w, "kernel_w"), v.kernel_w);
    EXPECT_EQ(field(w, "channel_blocks"), v.channel_blocks);
    EXPECT_EQ(field(w, "in_rows"), v.in_rows);
    EXPECT_EQ(field(w, "in_width"), v.in_width);
    EXPECT_EQ(field(w, "out_rows"), v.out_rows);
    EXPECT_EQ(field(w, "out_width"), v.out_width);
    EXPECT_EQ(field(w, "a_base"), v.a_base);
    EXPECT_EQ(field(w, "b_base"), v.b_base);
    EXPECT_EQ(field(w, "o_base"), v.o_base);
    EXPECT_EQ(s16(field(w, "y_off")), v.y_off);
    EXPECT_EQ(s16(field(w, "x_off")), v.x_off);
    EXPECT_EQ(field(w, "recip"), v.recip);
    EXPECT_EQ(field(w, "rsvd6"), 0u);

    // The other way: any bits in the fields' positions decode to those fields.
    Words p{};
    const uint64_t op = u(0, 3), y = u(0, 0xffff), x = u(0, 0xffff);
    put(p, "opcode", static_cast<uint64_t>(isa::Opcode::kVector));
    put(p, "op", op);
    put(p, "relu", u(0, 1));
    put(p, "out_shift", u(0, 31));
    put(p, "a_shift", u(0, 15));
    put(p, "b_shift", u(0, 15));
    for (const char* f : {"stride", "kernel_h", "kernel_w"}) put(p, f, u(0, 255));
    for (const char* f : {"channel_blocks", "in_rows", "in_width", "out_rows", "out_width",
                          "a_base", "b_base", "o_base"}) {
      put(p, f, u(0, 0xffff));
    }
    put(p, "y_off", y);
    put(p, "x_off", x);
    put(p, "recip", u(0, 0xffffffff));
    const isa::Vector d = isa::DecodeVector(p);
    EXPECT_EQ(static_cast<uint64_t>(d.op), op);
    EXPECT_EQ(uint64_t{d.relu}, field(p, "relu"));
    EXPECT_EQ(d.out_shift, field(p, "out_shift"));
    EXPECT_EQ(d.a_shift, field(p, "a_shift"));
    EXPECT_EQ(d.b_shift, field(p, "b_shift"));
    EXPECT_EQ(d.stride, field(p, "stride"));
    EXPECT_EQ(d.kernel_h, field(p, "kernel_h"));
    EXPECT_EQ(d.kernel_w, field(p, "kernel_w"));
    EXPECT_EQ(d.channel_blocks, field(p, "channel_blocks"));
    EXPECT_EQ(d.in_rows, field(p, "in_rows"));
    EXPECT_EQ(d.in_width, field(p, "in_width"));
    EXPECT_EQ(d.out_rows, field(p, "out_rows"));
    EXPECT_EQ(d.out_width, field(p, "out_width"));
    EXPECT_EQ(d.a_base, field(p, "a_base"));
    EXPECT_EQ(d.b_base, field(p, "b_base"));
    EXPECT_EQ(d.o_base, field(p, "o_base"));
    EXPECT_EQ(d.y_off, s16(y));
    EXPECT_EQ(d.x_off, s16(x));
    EXPECT_EQ(d.recip, field(p, "recip"));
    if (HasFailure()) return;
  }
}

// vector_cmd_t, what sa_vec keeps, has exactly cmd_vector_t's fields (no opcode, no reserved
// bits) with the same widths, declared in the command's order (word 0's low bits first).
TEST(IsaPkgTest, DecodedVectorKeepsEveryField) {
  const SvStruct& layout = Pkg().Struct("cmd_vector_t");
  std::vector<std::pair<std::string, int>> want;
  for (auto it = layout.fields.rbegin(); it != layout.fields.rend(); ++it) {
    if (it->name == "opcode" || it->name.rfind("rsvd", 0) == 0) continue;
    want.emplace_back(it->name, it->width);
  }
  std::vector<std::pair<std::string, int>> got;
  for (const auto& f : Pkg().Struct("vector_cmd_t").fields) got.emplace_back(f.name, f.width);
  EXPECT_EQ(got, want);
}

// COMPUTE's partial-sum flags: cmd_compute_t's acc_in / acc_out are the bits isa.cc sets, and
// compute_cmd_t carries both.
TEST(IsaPkgTest, ComputeAccFlagsAreTheEncodersBits) {
  const SvStruct& s = Pkg().Struct("cmd_compute_t");
  for (int flag = 0; flag < 2; ++flag) {
    isa::Compute c;
    (flag == 0 ? c.acc_in : c.acc_out) = true;
    const Words plain = isa::EncodeCompute(isa::Compute{});
    const Words w = isa::EncodeCompute(c);
    const auto& f = s.field(flag == 0 ? "acc_in" : "acc_out");
    ASSERT_EQ(f.width, 1);
    for (int bit = 0; bit < isa::kCommandWords * 32; ++bit) {
      const bool differs = ((w[bit / 32] ^ plain[bit / 32]) >> (bit % 32)) & 1;
      EXPECT_EQ(differs, bit == f.lsb) << "bit " << bit << " flag " << f.name;
    }
  }
  EXPECT_EQ(Pkg().Struct("compute_cmd_t").field("acc_in").width, 1);
  EXPECT_EQ(Pkg().Struct("compute_cmd_t").field("acc_out").width, 1);
}

TEST(IsaPkgTest, CsrMap) {
  namespace csr = isa::csr;
  const std::vector<std::pair<std::string, uint32_t>> map = {
      {"CsrId", csr::kId},
      {"CsrConfig", csr::kConfig},
      {"CsrCtrl", csr::kCtrl},
      {"CsrStatus", csr::kStatus},
      {"CsrIrqEnable", csr::kIrqEnable},
      {"CsrIrqStatus", csr::kIrqStatus},
      {"CsrCmdBase", csr::kCmdBase},
      {"CsrCmdIndex", csr::kCmdIndex},
      {"CsrCtrlState", csr::kCtrlState},
      {"CsrLastOpcode", csr::kLastOpcode},
      {"CsrCounterBase", csr::kCounterBase},
      {"CsrIdValue", csr::kIdValue},
  };
  for (const auto& [name, value] : map) EXPECT_EQ(Pkg().Param(name), value) << name;
}

TEST(IsaPkgTest, ParserReadsWhatTheTestsRelyOn) {
  // A packed struct's fields tile it from bit 0 up (the last field is the least significant).
  const auto& s = Pkg().Struct("cmd_compute_t");
  EXPECT_EQ(s.field("opcode").lsb, 0);
  EXPECT_EQ(s.field("opcode").width, 8);
  EXPECT_EQ(s.field("relu").lsb, 8);
  EXPECT_EQ(s.field("round").width, 1);
  int covered = 0;
  for (const auto& f : s.fields) covered += f.width;
  EXPECT_EQ(covered, s.width);
}

}  // namespace
}  // namespace sasim
