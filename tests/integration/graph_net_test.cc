// Networks as graphs on every device: tests/data/nets/graph_ops.yaml (every vector-unit
// operation, branches, adds, a linear on a padded stored tensor) and the shipped course nets.
// The RTL (bare core) and the functional device must be bit-exact with the golden model and
// agree on every counter that does not depend on timing; the platform once; ResNet-18's 3x3
// convs keep the 16x16 array at least 90% busy.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/run_network.h"
#include "tests/in_process_run.h"

namespace sasim {
namespace {

const std::string kSource = SASIM_SOURCE_DIR;

using testcases::ExpectSameUntimedCounters;
using testcases::InProcessRun;

InProcessRun RunNet(const std::string& net, DeviceKind kind, const std::string& hw = "") {
  RunRequest request;
  request.net_path = kSource + "/" + net;
  if (!hw.empty()) request.hw_path = kSource + "/" + hw;
  return testcases::RunInProcess(request, kind);
}

void ExpectRtlAndFunctionalAgree(const std::string& net, const std::string& hw = "") {
  const InProcessRun rtl = RunNet(net, DeviceKind::kBare, hw);
  EXPECT_EQ(rtl.report["bit_exact"], true) << net;
  const InProcessRun fun = RunNet(net, DeviceKind::kFunctional, hw);
  EXPECT_EQ(fun.report["bit_exact"], true) << net;
  EXPECT_EQ(rtl.run.outputs, fun.run.outputs) << net;
  ExpectSameUntimedCounters(rtl.run, fun.run);
}

TEST(GraphNetTest, EveryVectorOperationOnTheRtlAndTheFunctionalDevice) {
  ExpectRtlAndFunctionalAgree("tests/data/nets/graph_ops.yaml");
}

TEST(GraphNetTest, EveryVectorOperationOnTheSmallConfig) {
  ExpectRtlAndFunctionalAgree("tests/data/nets/graph_ops.yaml", "configs/hw/small.yaml");
}

TEST(GraphNetTest, PartialSumsWithAPoolPassOnTheSmallConfig) {
  ExpectRtlAndFunctionalAgree("tests/data/nets/psum_pool.yaml", "configs/hw/small.yaml");
}

TEST(GraphNetTest, GraphOpsOnThePlatform) {
  // First split at every layer, one worker process each (forked before this process elaborates
  // SystemC): an add reads a tensor made several layers, and groups, before it.
  RunRequest request;
  request.net_path = kSource + "/tests/data/nets/graph_ops.yaml";
  const size_t layers = PrepareRun(request).prepared.net.layers.size();
  request.jobs = static_cast<int>(layers);
  for (size_t a = 1; a < layers; ++a) request.split_layers.push_back(a);
  const InProcessRun split = testcases::RunWithJobs(request, DeviceKind::kPlatform);
  request.jobs = 3;  // and balanced over three, each later group first aimed at a wrong state
  request.split_layers.clear();
  request.guess_start_state = false;
  const InProcessRun three = testcases::RunWithJobs(request, DeviceKind::kPlatform);
  const InProcessRun r = RunNet("tests/data/nets/graph_ops.yaml", DeviceKind::kPlatform);
  for (const InProcessRun* s : {&split, &three}) {
    EXPECT_EQ(s->report["layers"], r.report["layers"]) << s->report["parallel"];
    EXPECT_EQ(s->report["totals"]["cycles"], r.report["totals"]["cycles"]);
    EXPECT_EQ(s->run.outputs, r.run.outputs);
  }
  EXPECT_EQ(split.report["parallel"]["workers"], static_cast<int>(layers));
  EXPECT_EQ(three.report["parallel"]["workers"], 3);
  EXPECT_EQ(split.report["parallel"]["reruns"], 0);  // every group started as one run does
  EXPECT_EQ(three.report["parallel"]["reruns"], 2);  // found out, run again from the right one
  EXPECT_EQ(r.report["bit_exact"], true);
  // The vector unit's layers count their work: lane operations, reads and writes, no MACs.
  for (const auto& l : r.report["layers"]) {
    const std::string type = l["type"];
    if (type == "conv2d" || type == "linear") continue;
    EXPECT_EQ(l["macs"], 0) << l["name"];
    EXPECT_GT(l["counters"]["vec_ops"].get<uint64_t>(), 0u) << l["name"];
    EXPECT_GT(l["counters"]["obuf_writes"].get<uint64_t>(), 0u) << l["name"];
  }
  EXPECT_EQ(r.report["layers"][4]["inputs"], nlohmann::json({"c2", "c3"}));
}

TEST(GraphNetTest, CourseNetsRunBitExact) {
  for (const char* net : {"configs/nets/lenet5.yaml", "configs/nets/mlp_mnist.yaml",
                          "configs/nets/vgg8_narrow.yaml"}) {
    ExpectRtlAndFunctionalAgree(net);
  }
}

TEST(GraphNetTest, ResNet18OnTheRtl) {
  const InProcessRun r = RunNet("configs/nets/resnet18_cifar.yaml", DeviceKind::kBare);
  EXPECT_EQ(r.report["bit_exact"], true);
  EXPECT_EQ(r.report["totals"]["macs"], 555422720);
  // Every 3x3 conv keeps the array at least 90% busy, the stem included (3 input channels,
  // 6,912 cycles of folds against 5,120 words of DMA: its first band loads and its last tiles
  // store piece by piece; docs/performance.md).
  int convs = 0;
  for (const auto& l : r.report["layers"]) {
    if (l["type"] != "conv2d" || l["kernel"][0] != 3) continue;
    ++convs;
    EXPECT_GE(l["utilization"].get<double>(), 0.90) << l["name"];
  }
  EXPECT_EQ(convs, 17);
  const InProcessRun fun = RunNet("configs/nets/resnet18_cifar.yaml", DeviceKind::kFunctional);
  EXPECT_EQ(fun.run.outputs, r.run.outputs);
  ExpectSameUntimedCounters(r.run, fun.run);
}

}  // namespace
}  // namespace sasim
