// libFuzzer target: the .npy reader on any bytes; on success every element is converted as the
// input, dataset and weight loaders convert them.
#include <cstddef>
#include <cstdint>

#include "contract/errors.h"
#include "host/io/npy.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = sasim::fuzz::WriteInput("t.npy", data, size);
  try {
    const sasim::NpyArray a = sasim::ReadNpy(path);
    sasim::ShapeString(a.shape);
    if (a.size() <= (1 << 20)) {
      a.As<uint8_t>();
      a.As<int8_t>();
      a.As<int32_t>();
      a.As<double>();
    }
  } catch (const sasim::InputError&) {
  }
  return 0;
}
