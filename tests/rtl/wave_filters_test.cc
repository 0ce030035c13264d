// The GTKWave translate filters (waveforms/filters/<enum>.txt, written by tools/gtkw_filters.py)
// name every value of the RTL's enums as the RTL does: sa_pkg's and the engines' own state
// enums, read here by the tests' own parser of the package (tests/rtl/sv_package.h), not by the
// tool. A renamed, renumbered, added or removed enumerator without the filters written anew
// fails here (and in ctest wave_filters, the tool's own comparison).
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/rtl/sv_package.h"

namespace sasim {
namespace {

using testing::SvPackage;

// value -> name, from a filter file ("<decimal value> <name>" lines, '#' comments).
std::map<uint64_t, std::string> ReadFilter(const std::string& enum_name) {
  const std::string path = SASIM_SOURCE_DIR "/waveforms/filters/" + enum_name + ".txt";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path << " is missing: /usr/bin/python3 tools/gtkw_filters.py";
  std::map<uint64_t, std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    uint64_t value;
    std::string name, extra;
    EXPECT_TRUE(ss >> value >> name && !(ss >> extra)) << path << ": '" << line << "'";
    EXPECT_TRUE(names.emplace(value, name).second) << path << ": value " << value << " twice";
  }
  return names;
}

void ExpectFilterOf(const SvPackage& source, const std::string& enum_name) {
  std::map<uint64_t, std::string> want;
  for (const auto& [name, value] : source.Enum(enum_name).entries) want[value] = name;
  EXPECT_EQ(ReadFilter(enum_name), want) << enum_name;
}

TEST(WaveFiltersTest, EveryEnumOfThePackageHasItsNamesInAFilter) {
  const auto names = testing::SaPkg().EnumNames();
  EXPECT_GE(names.size(), 7u);  // opcodes, buffers, controller states, counters, ...
  for (const std::string& e : names) ExpectFilterOf(testing::SaPkg(), e);
}

TEST(WaveFiltersTest, TheEnginesStateEnumsHaveTheirNamesInAFilter) {
  ExpectFilterOf(SvPackage(SASIM_SOURCE_DIR "/rtl/sa_dma.sv"), "dma_state_e");
  ExpectFilterOf(SvPackage(SASIM_SOURCE_DIR "/rtl/sa_compute.sv"), "comp_state_e");
  ExpectFilterOf(SvPackage(SASIM_SOURCE_DIR "/rtl/sa_vec.sv"), "vec_state_e");
}

}  // namespace
}  // namespace sasim
