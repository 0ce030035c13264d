// sasim_hw_flags: the RTL parameters of a hardware config, read by the config loader (the only
// YAML reader of sasim). rtl/CMakeLists.txt runs it at configure time for every configs/hw/*.yaml
// to get the Verilator -G flags of that config's sa_top model.
//
//   sasim_hw_flags CONFIG.yaml           -GRows=16 -GAbufWords=4096 -GWbufWords=10240 ...
//   sasim_hw_flags --cmake CONFIG.yaml   set(SA_HW_ARRAY_ROWS 16) ... (a CMake script)
//
// A bad config is refused as everywhere else ("file:line: key 'k': why", exit code 2).
#include <cstring>
#include <string>

#include <fmt/core.h>

#include "contract/errors.h"
#include "host/config/hw_loader.h"

namespace {

int Usage() {
  fmt::print(stderr, "usage: sasim_hw_flags [--cmake] CONFIG.yaml\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool cmake = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--cmake") == 0) {
      cmake = true;
    } else if (argv[i][0] == '-' || !path.empty()) {
      return Usage();
    } else {
      path = argv[i];
    }
  }
  if (path.empty()) return Usage();
  try {
    const sasim::HwConfig hw = sasim::LoadHwConfig(path);
    std::string params;
    for (const std::string& p : sasim::HwVerilatorParams(hw)) {
      params += (params.empty() ? "" : " ") + p;
    }
    if (!cmake) {
      fmt::print("{}\n", params);
      return 0;
    }
    // Integers only, so nothing here needs quoting for CMake.
    fmt::print("set(SA_HW_ARRAY_ROWS {})\n", hw.array_rows);
    fmt::print("set(SA_HW_ARRAY_COLS {})\n", hw.array_cols);
    fmt::print("set(SA_HW_DRAM_BUS_BYTES {})\n", hw.dram_bus_bytes);
    fmt::print("set(SA_HW_ABUF_KIB {})\n", hw.abuf_bytes / 1024);
    fmt::print("set(SA_HW_WBUF_KIB {})\n", hw.wbuf_bytes / 1024);
    fmt::print("set(SA_HW_OBUF_KIB {})\n", hw.obuf_bytes / 1024);
    fmt::print("set(SA_HW_VERILATOR_PARAMS {})\n", params);
    return 0;
  } catch (const sasim::InputError& e) {
    fmt::print(stderr, "sasim_hw_flags: error: {}\n", e.what());
    return 2;
  }
}
