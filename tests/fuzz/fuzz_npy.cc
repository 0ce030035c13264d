// libFuzzer target: RunNpy of tests/fuzz/fuzz_inputs.h on any bytes, written to a file first.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_inputs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sasim::fuzz::RunNpy(sasim::fuzz::WriteInput(SASIM_SOURCE_DIR, "t.npy", data, size));
  return 0;
}
