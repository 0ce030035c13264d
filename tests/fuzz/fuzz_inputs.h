// What each fuzz target does with one input, shared by the libFuzzer targets (tests/fuzz/*.cc)
// and by the unit test that replays the seeds and every past finding (tests/unit/
// fuzz_replay_test.cc), so a finding stays fixed in the ordinary (and the sanitized) test suite.
// InputError is the one outcome allowed besides success; anything else (a crash, a sanitizer
// report, another exception, a timeout) is a finding.
#ifndef SASIM_TESTS_FUZZ_FUZZ_INPUTS_H_
#define SASIM_TESTS_FUZZ_FUZZ_INPUTS_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "compiler/net_ir.h"
#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "host/io/npy.h"
#include "host/net/input.h"
#include "host/net/prepare.h"

namespace sasim::fuzz {

// A directory of this process, made on first use. Its `weights` links to the digits model's
// weights and its `weights_*` to the bad-input weight directories of the source tree, so that
// nets written here find their .npy files.
inline const std::string& WorkDir(const std::string& source_dir) {
  static const std::string dir = [&] {
    const char* tmp = getenv("TMPDIR");
    std::string t = std::string(tmp && *tmp ? tmp : "/tmp") + "/sasim_fuzz_XXXXXX";
    if (mkdtemp(t.data()) == nullptr) abort();
    symlink((source_dir + "/configs/vgg8_digits/weights").c_str(), (t + "/weights").c_str());
    for (const char* name : {"weights_bias_dtype", "weights_channel_mismatch",
                             "weights_missing_bias", "weights_truncated", "weights_wrong_dtype"}) {
      symlink((source_dir + "/tests/data/bad_inputs/" + name).c_str(), (t + "/" + name).c_str());
    }
    return t;
  }();
  return dir;
}

// Writes the input to WorkDir()/name and returns the path.
inline std::string WriteInput(const std::string& source_dir, const std::string& name,
                              const uint8_t* data, size_t size) {
  const std::string path = WorkDir(source_dir) + "/" + name;
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) abort();
  if (size > 0 && fwrite(data, 1, size, f) != size) abort();
  if (fclose(f) != 0) abort();
  return path;
}

// The hardware config loader; on success what a report and the build do with the config.
inline void RunHw(const std::string& path) {
  try {
    const HwConfig hw = LoadHwConfig(path);
    HwConfigFields(hw);
    HwVerilatorParams(hw);
  } catch (const InputError&) {
  }
}

// The energy table loader; on success the energy of a set of counters on the default hardware.
inline void RunEnergy(const std::string& path) {
  try {
    const EnergyTable table = LoadEnergyTable(path);
    Counters counters{};
    for (size_t k = 0; k < counters.size(); ++k) counters[k] = 1000 * (k + 1);
    ComputeEnergy(table, HwConfig{}, counters);
  } catch (const InputError&) {
  }
}

// The net loader, then what sim_run does before it simulates: Fuse, and PrepareNet (weights from
// .npy files or synthetic, the golden model) when the net is small enough to take milliseconds.
inline void RunNet(const std::string& path) {
  try {
    const compiler::NetSpec spec = LoadNet(path);
    Network net = NetworkOf(spec, compiler::Fuse(spec));
    double work = 0;  // in double: shapes can be made whose MAC count overflows int64
    for (const Layer& layer : net.layers) {
      const ConvShape& s = layer.shape;
      work += double(s.in_channels) * s.kernel_h * s.kernel_w * s.out_channels *
              double(s.out_height()) * s.out_width();
      work += double(s.in_channels) * s.in_height * s.in_width;
    }
    if (work <= 2e6) {
      std::vector<uint8_t> input = SyntheticImage(net.input, spec.seed);
      PrepareNet(spec, std::move(net), std::move(input));
    }
  } catch (const InputError&) {
  }
}

// The .npy reader; on success every conversion the input, dataset and weight loaders use.
inline void RunNpy(const std::string& path) {
  try {
    const NpyArray a = ReadNpy(path);
    ShapeString(a.shape);
    if (a.size() <= (1 << 20)) {
      a.As<uint8_t>();
      a.As<int8_t>();
      a.As<int32_t>();
      a.As<double>();
    }
  } catch (const InputError&) {
  }
}

}  // namespace sasim::fuzz

#endif  // SASIM_TESTS_FUZZ_FUZZ_INPUTS_H_
