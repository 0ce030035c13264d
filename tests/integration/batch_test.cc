// Batches (sim_run --batch): a network run over N images in one program. Every image checked on
// every layer against the golden model; linears as one GEMM with a row per image and the
// weights loaded once per tile; a dataset in batches giving the same predictions as one image
// at a time. The RTL runs use the bare core (SystemC elaborates once per process).
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "contract/errors.h"
#include "sim/run_network.h"
#include "tests/in_process_run.h"

namespace sasim {
namespace {

using testcases::RunInProcess;

RunRequest NetRequest(const std::string& net, int batch) {
  RunRequest r;
  r.net_path = std::string(SASIM_SOURCE_DIR) + "/" + net;
  r.batch = batch;
  return r;
}

uint64_t Counter(const nlohmann::json& layer, const char* name) {
  return layer["counters"][name].get<uint64_t>();
}

TEST(BatchTest, LinearsRunAsOneGemmWithTheirWeightsLoadedOnce) {
  const RunRequest one = NetRequest("configs/nets/mlp_mnist.yaml", 1);
  const RunRequest four = NetRequest("configs/nets/mlp_mnist.yaml", 4);
  const PreparedRun prepared = PrepareRun(four);
  for (const compiler::LayerPlan& plan : prepared.compiled.plans) {
    SCOPED_TRACE(plan.view.name);
    EXPECT_TRUE(plan.place.batched_gemm);
    EXPECT_EQ(plan.view.shape.out_height(), 4);  // one output row per image
    EXPECT_EQ(plan.view.shape.out_width(), 1);
  }
  const auto a = RunInProcess(one, DeviceKind::kBare);
  const auto b = RunInProcess(four, DeviceKind::kBare);
  EXPECT_EQ(b.report["batch"], 4);
  EXPECT_EQ(b.report["batch_check"]["images"], 4);
  EXPECT_EQ(b.report["batch_check"]["bit_exact_images"], 4);
  EXPECT_EQ(b.report["bit_exact"], true);
  ASSERT_EQ(a.report["layers"].size(), b.report["layers"].size());
  for (size_t i = 0; i < a.report["layers"].size(); ++i) {
    const auto& la = a.report["layers"][i];
    const auto& lb = b.report["layers"][i];
    SCOPED_TRACE(la["name"].get<std::string>());
    // The weights once per tile for the whole batch; four images' MACs.
    EXPECT_EQ(Counter(lb, "wbuf_writes"), Counter(la, "wbuf_writes"));
    EXPECT_EQ(Counter(lb, "macs"), 4 * Counter(la, "macs"));
    EXPECT_EQ(lb["macs"].get<uint64_t>(), 4 * la["macs"].get<uint64_t>());
    // The weights stream dominates a linear: four images cost far less than four runs.
    EXPECT_LT(lb["cycles"].get<uint64_t>(), 2 * la["cycles"].get<uint64_t>());
    EXPECT_DOUBLE_EQ(lb["cycles_per_image"].get<double>(), lb["cycles"].get<double>() / 4);
  }
  EXPECT_GT(b.report["totals"]["utilization"].get<double>(),
            3 * a.report["totals"]["utilization"].get<double>());
}

TEST(BatchTest, ConvPoolFlattenLinearOverThreeImagesOnEveryDevice) {
  // Odd batch; the conv's weights stay in the buffer (loaded once for the batch); a linear on
  // a flattened 8x8x8 tensor.
  const RunRequest one = NetRequest("tests/data/nets/cifar_net.yaml", 1);
  const RunRequest three = NetRequest("tests/data/nets/cifar_net.yaml", 3);
  const PreparedRun prepared = PrepareRun(three);
  ASSERT_TRUE(prepared.compiled.plans.at(0).tiling.weights_resident);
  EXPECT_FALSE(prepared.compiled.plans.at(0).place.batched_gemm);
  EXPECT_EQ(prepared.compiled.plans.at(0).place.images, 3);
  EXPECT_TRUE(prepared.compiled.plans.at(1).place.batched_gemm);
  const auto single = RunInProcess(one, DeviceKind::kBare);
  for (DeviceKind kind : {DeviceKind::kFunctional, DeviceKind::kBare}) {
    SCOPED_TRACE(DeviceKindName(kind));
    const auto r = RunInProcess(three, kind);
    EXPECT_EQ(r.report["batch_check"]["bit_exact_images"], 3);
    EXPECT_EQ(r.report["bit_exact"], true);
    for (size_t i = 0; i < r.report["layers"].size(); ++i) {
      EXPECT_EQ(Counter(r.report["layers"][i], "wbuf_writes"),
                Counter(single.report["layers"][i], "wbuf_writes"));
      EXPECT_EQ(Counter(r.report["layers"][i], "requant_ops"),
                3 * Counter(single.report["layers"][i], "requant_ops"));
    }
    // Image 0 is the batch's first: its outputs are those of the run of it alone.
    EXPECT_EQ(r.run.outputs, single.run.outputs);
  }
}

TEST(BatchTest, ADatasetInBatchesGivesTheSamePredictions) {
  RunRequest request = NetRequest("configs/vgg8_digits/vgg8_digits.yaml", 1);
  request.dataset = std::string(SASIM_SOURCE_DIR) + "/configs/vgg8_digits/test_images.npy";
  request.labels = std::string(SASIM_SOURCE_DIR) + "/configs/vgg8_digits/test_labels.npy";
  request.limit = 5;
  const auto one = RunInProcess(request, DeviceKind::kFunctional);
  request.batch = 2;  // 2 + 2 + 1 (the last batch padded)
  const auto two = RunInProcess(request, DeviceKind::kFunctional);
  request.jobs = 2;  // whole batches per worker: images 0..1 and 2..4
  const auto split = testcases::RunWithJobs(request, DeviceKind::kFunctional);
  EXPECT_EQ(two.run.predictions_csv, one.run.predictions_csv);
  EXPECT_EQ(split.run.predictions_csv, one.run.predictions_csv);
  EXPECT_EQ(two.report["dataset"]["bit_exact_images"], 5);
  EXPECT_EQ(split.report["dataset"]["bit_exact_images"], 5);
  EXPECT_EQ(split.report["parallel"]["groups"], nlohmann::json({"images 0..1", "images 2..4"}));
  EXPECT_EQ(two.report["batch"], 2);
}

TEST(BatchTest, ALinearTooBigForOneGemmRunsPerImage) {
  // On small.yaml fc6's weights for the whole reduction do not fit the buffer as one GEMM:
  // the batch runs it per image with partial sums instead of refusing the network.
  RunRequest request = NetRequest("configs/vgg8.yaml", 2);
  request.hw_path = std::string(SASIM_SOURCE_DIR) + "/configs/hw/small.yaml";
  const PreparedRun prepared = PrepareRun(request);
  bool per_image_linear = false;
  for (size_t i = 0; i < prepared.compiled.plans.size(); ++i) {
    const compiler::LayerPlan& plan = prepared.compiled.plans[i];
    if (prepared.prepared.net.layers[i].kind == LayerKind::kLinear && !plan.place.batched_gemm) {
      per_image_linear = true;
      EXPECT_EQ(plan.place.images, 2);
    }
  }
  EXPECT_TRUE(per_image_linear);
  const auto r = RunInProcess(request, DeviceKind::kFunctional);
  EXPECT_EQ(r.report["batch_check"]["bit_exact_images"], 2);
  EXPECT_EQ(r.report["bit_exact"], true);
}

TEST(BatchTest, ABadBatchIsRefused) {
  for (int batch : {0, -3, compiler::kMaxBatch + 1}) {
    try {
      PrepareRun(NetRequest("configs/nets/lenet5.yaml", batch));
      ADD_FAILURE() << "batch " << batch << " was taken";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("--batch"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace sasim
