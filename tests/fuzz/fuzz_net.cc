// libFuzzer target: the net loader on any bytes, then what sim_run does with a net before it
// simulates: Fuse (shape inference), and PrepareNet (weights from .npy files or synthetic, the
// golden model) when the net is small enough to run in a few milliseconds. The net file sits in
// a directory whose `weights` (and the bad-input weight directories) link to the source tree,
// so relative weight directories in the seeds are found and their .npy files read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/net_ir.h"
#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "host/net/prepare.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void LinkWeightDirs() {
  const std::string src = SASIM_SOURCE_DIR;
  const std::string dir = sasim::fuzz::WorkDir();
  symlink((src + "/configs/vgg8_digits/weights").c_str(), (dir + "/weights").c_str());
  for (const char* name : {"weights_bias_dtype", "weights_channel_mismatch", "weights_missing_bias",
                           "weights_truncated", "weights_wrong_dtype"}) {
    symlink((src + "/tests/data/bad_inputs/" + name).c_str(), (dir + "/" + name).c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  LinkWeightDirs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = sasim::fuzz::WriteInput("net.yaml", data, size);
  try {
    const sasim::compiler::NetSpec net = sasim::LoadNet(path);
    const auto fused = sasim::compiler::Fuse(net);
    double work = 0;  // in double: the fuzzer makes shapes whose MAC count overflows int64
    for (const auto& f : fused) {
      work += double(f.shape.in_channels) * f.shape.kernel_h * f.shape.kernel_w *
              f.shape.out_channels * double(f.shape.out_height()) * f.shape.out_width();
      work += double(f.shape.in_channels) * f.shape.in_height * f.shape.in_width;
    }
    if (work <= 2e6) {
      sasim::PrepareNet(net, fused,
                        sasim::SyntheticImage(net.input_channels, net.input_height,
                                              net.input_width, net.seed));
    }
  } catch (const sasim::InputError&) {
  }
  return 0;
}
