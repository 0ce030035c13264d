// Every shipped design-space shape (configs/hw/shapes: non-square, wide arrays whose models are
// built on demand) compiles and runs the course networks bit-exactly on the functional device,
// whose COMPUTE follows sa_compute for any column count; the RTL of one new shape is run by
// model_cache_tests (slow label) and the 8x32 small config by the layer cases.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/run_network.h"
#include "tests/in_process_run.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;

TEST(ShapesTest, CourseNetworksRunBitExactOnEveryShippedShape) {
  int shapes = 0;
  for (const auto& entry :
       fs::directory_iterator(fs::path(SASIM_SOURCE_DIR) / "configs/hw/shapes")) {
    if (entry.path().extension() != ".yaml") continue;
    ++shapes;
    for (const char* net :
         {"configs/vgg8.yaml", "configs/nets/resnet18_cifar.yaml", "configs/nets/mlp_mnist.yaml"}) {
      SCOPED_TRACE(entry.path().stem().string() + " " + net);
      RunRequest r;
      r.net_path = std::string(SASIM_SOURCE_DIR) + "/" + net;
      r.hw_path = entry.path().string();
      r.batch = 2;
      const auto run = testcases::RunInProcess(r, DeviceKind::kFunctional);
      EXPECT_EQ(run.report["bit_exact"], true);
      EXPECT_EQ(run.report["batch_check"]["bit_exact_images"], 2);
      // The MACs the device counted, column by valid column, are the layers' MACs.
      uint64_t counted = 0;
      for (const auto& layer : run.report["layers"]) {
        counted += layer["counters"]["macs"].get<uint64_t>();
      }
      EXPECT_EQ(counted, run.report["totals"]["macs"].get<uint64_t>());
    }
  }
  EXPECT_GE(shapes, 4);
}

}  // namespace
}  // namespace sasim
