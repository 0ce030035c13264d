// Replays every fuzz seed and every past fuzz finding (tests/data/fuzz/<target>/) through the
// code its fuzz target runs (tests/fuzz/fuzz_inputs.h): each must load or be refused with an
// InputError. Under `make asan` this also checks them for memory errors and undefined behaviour.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tests/fuzz/fuzz_inputs.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;

TEST(FuzzReplayTest, EverySeedAndFindingLoadsOrIsRefused) {
  const std::map<std::string, std::pair<std::string, std::function<void(const std::string&)>>>
      targets = {{"hw", {"hw.yaml", fuzz::RunHw}},
                 {"energy", {"energy.yaml", fuzz::RunEnergy}},
                 {"net", {"net.yaml", fuzz::RunNet}},
                 {"npy", {"t.npy", fuzz::RunNpy}}};
  for (const auto& [target, run] : targets) {
    int replayed = 0;
    for (const auto& entry :
         fs::directory_iterator(fs::path(SASIM_SOURCE_DIR) / "tests/data/fuzz" / target)) {
      SCOPED_TRACE(entry.path().string());
      std::ifstream in(entry.path(), std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      const std::string path =
          fuzz::WriteInput(SASIM_SOURCE_DIR, run.first,
                           reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      EXPECT_NO_THROW(run.second(path));
      ++replayed;
    }
    EXPECT_GE(replayed, 3) << target;
  }
}

}  // namespace
}  // namespace sasim
