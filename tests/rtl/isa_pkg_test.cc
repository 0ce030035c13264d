// rtl/sa_pkg.sv mirrors contract/isa.h: every opcode, buffer, CSR offset, controller state,
// rounding mode and performance counter has the same value on both sides, and the counters
// have the same names in the same order (CounterName "dram_read_bytes" is CntDramReadBytes).
// Renaming, renumbering, adding or reordering an entry on one side only fails here. The
// command field positions are held equal by tests/rtl/ctrl_test.cc, which decodes commands
// encoded by contract/isa.cc in the Verilated controller.
#include <cctype>
#include <cstdint>
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
             {{"OpEnd", op(Opcode::kEnd)}, {"OpLoad", op(Opcode::kLoad)},
              {"OpStore", op(Opcode::kStore)}, {"OpCompute", op(Opcode::kCompute)},
              {"OpSync", op(Opcode::kSync)}, {"OpSnap", op(Opcode::kSnapshot)}},
             "opcode_e vs isa::Opcode");
  using isa::Buffer;
  auto buf = [](Buffer b) { return static_cast<uint64_t>(b); };
  ExpectEnum(Pkg().Enum("buffer_e"),
             {{"BufAct", buf(Buffer::kAct)}, {"BufWeight", buf(Buffer::kWeight)},
              {"BufOut", buf(Buffer::kOut)}, {"BufCounters", buf(Buffer::kCounters)}},
             "buffer_e vs isa::Buffer");
  EXPECT_EQ(Pkg().Param("CmdWords"), static_cast<uint64_t>(isa::kCommandWords));
  EXPECT_EQ(Pkg().Param("WordBytes"), static_cast<uint64_t>(isa::kWordBytes));
  // Every command layout covers exactly the 256 bits of a command.
  for (const char* s : {"cmd_transfer_t", "cmd_compute_t", "cmd_sync_t", "cmd_snapshot_t"}) {
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
