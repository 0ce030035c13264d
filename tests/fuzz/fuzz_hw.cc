// libFuzzer target: the hardware config loader on any bytes. InputError is the one outcome
// allowed besides success; anything else (a crash, a sanitizer report, another exception, a
// timeout) is a finding.
#include <cstddef>
#include <cstdint>

#include "contract/errors.h"
#include "host/config/hw_loader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = sasim::fuzz::WriteInput("hw.yaml", data, size);
  try {
    const sasim::HwConfig hw = sasim::LoadHwConfig(path);
    // What a report and the build do with a loaded config.
    sasim::HwConfigFields(hw);
    sasim::HwVerilatorParams(hw);
  } catch (const sasim::InputError&) {
  }
  return 0;
}
