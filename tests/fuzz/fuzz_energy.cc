// libFuzzer target: the energy table loader on any bytes; on success the table is used as a
// run uses it (energy of a set of counters on the default hardware).
#include <cstddef>
#include <cstdint>

#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = sasim::fuzz::WriteInput("energy.yaml", data, size);
  try {
    const sasim::EnergyTable table = sasim::LoadEnergyTable(path);
    sasim::Counters counters{};
    for (size_t k = 0; k < counters.size(); ++k) counters[k] = 1000 * (k + 1);
    sasim::ComputeEnergy(table, sasim::HwConfig{}, counters);
  } catch (const sasim::InputError&) {
  }
  return 0;
}
