// The network run as a library, in-process (sim/run_network.h): VGG-8 on the SystemC platform,
// the bare core and the functional device agreeing; calibration; CIFAR-10 and .npy inputs; a
// dataset. The report each run would write is parsed from ReportJson, so the assertions read
// as on the files. SystemC elaborates once per process (ctest runs each test in its own), so a
// test runs the platform at most once and uses the bare core for further RTL runs.
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "contract/errors.h"
#include "host/io/npy.h"
#include "sim/run_network.h"
#include "tests/in_process_run.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = SASIM_SOURCE_DIR;

using testcases::InProcessRun;
using testcases::RunInProcess;

RunRequest NetRequest(const std::string& net) {
  RunRequest r;
  r.net_path = (kSource / net).string();
  return r;
}

TEST(RunNetworkTest, Vgg8EndToEnd) {
  // First on 2 and 3 worker processes (forked before this process elaborates SystemC).
  std::vector<InProcessRun> split;
  for (int jobs : {2, 3}) {
    RunRequest request = NetRequest("configs/vgg8.yaml");
    request.jobs = jobs;
    split.push_back(testcases::RunWithJobs(request, DeviceKind::kPlatform));
  }
  const auto [run, report] = RunInProcess(NetRequest("configs/vgg8.yaml"), DeviceKind::kPlatform);
  // Layers split over workers, each group started in the state of the whole run: every
  // counter of every layer, the totals and every output as in one process.
  for (const InProcessRun& s : split) {
    const int workers = s.report["parallel"]["workers"];
    EXPECT_EQ(s.report["parallel"]["split_by"], "layers");
    EXPECT_EQ(s.report["parallel"]["groups"].size(), static_cast<size_t>(workers));
    EXPECT_GE(workers, 2);
    EXPECT_EQ(s.report["layers"], report["layers"]) << workers << " workers";
    EXPECT_EQ(s.report["totals"]["cycles"], report["totals"]["cycles"]) << workers << " workers";
    EXPECT_EQ(s.report["energy"], report["energy"]) << workers << " workers";
    EXPECT_EQ(s.run.outputs, run.outputs) << workers << " workers";
  }
  EXPECT_EQ(split[1].report["parallel"]["workers"], 3);
  EXPECT_EQ(report["parallel"]["workers"], 1);
  EXPECT_EQ(report["bit_exact"], true);
  EXPECT_EQ(report["totals"]["macs"], 168002816);
  const std::vector<std::string> names = {"conv1", "conv2", "conv3", "conv4",
                                          "conv5", "fc6",   "fc7",   "fc8"};
  ASSERT_EQ(report["layers"].size(), names.size());
  std::map<std::string, nlohmann::json> layers;
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(report["layers"][i]["name"], names[i]);
    layers[names[i]] = report["layers"][i];
    // The synthetic weights give a run worth checking: most outputs neither 128 nor 255.
    EXPECT_LT(report["layers"][i]["zero_share"].get<double>() +
                  report["layers"][i]["saturated_share"].get<double>(),
              0.5)
        << names[i];
  }
  // The hardware's efficiency (simulated cycles, not wall time): conv2..conv5 keep the array
  // at least 95% busy, and the whole net stays within 1.10x of the per-layer roofline sum.
  for (const char* conv : {"conv2", "conv3", "conv4", "conv5"}) {
    EXPECT_GE(layers[conv]["utilization"].get<double>(), 0.95) << conv;
  }
  EXPECT_LE(report["totals"]["cycles"].get<double>(),
            1.10 * report["totals"]["roofline_cycles"].get<double>());

  // The same program on the bare core is the same RTL: every counter of every layer equal.
  const auto bare = RunInProcess(NetRequest("configs/vgg8.yaml"), DeviceKind::kBare);
  EXPECT_EQ(bare.report["layers"], report["layers"]);
  // On the functional device: the same outputs, and every counter that does not depend on
  // timing equal layer by layer.
  const auto functional = RunInProcess(NetRequest("configs/vgg8.yaml"), DeviceKind::kFunctional);
  EXPECT_EQ(functional.run.outputs, run.outputs);
  EXPECT_EQ(functional.report["bit_exact"], true);
  testcases::ExpectSameUntimedCounters(run, functional.run);
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(Get(functional.run.result.layers[i].counters, isa::Counter::kCycles), 0u);
  }
}

TEST(RunNetworkTest, SaturatingShiftIsCalibratedAndReported) {
  const auto [run, report] =
      RunInProcess(NetRequest("tests/data/nets/saturating.yaml"), DeviceKind::kPlatform);
  const auto& l = report["layers"][0];
  EXPECT_EQ(l["calibrated"], true);
  EXPECT_EQ(l["configured_shift"], 0);
  EXPECT_GT(l["shift"].get<int>(), 0);
  EXPECT_LT(l["zero_share"].get<double>() + l["saturated_share"].get<double>(), 0.5);
  EXPECT_EQ(report["bit_exact"], true);
  // Calibration changed the one layer record: the compiled program uses the new shift.
  EXPECT_EQ(run.result.layers[0].layer.requant.shift, l["shift"].get<int>());
}

// Writes a CIFAR-10 batch of two records; record 1 is a known gradient.
fs::path WriteCifar(std::vector<uint8_t>* record1) {
  const fs::path path = fs::temp_directory_path() / ("batch_" + std::to_string(getpid()) + ".bin");
  std::ofstream out(path, std::ios::binary);
  record1->resize(3072);
  for (int rec = 0; rec < 2; ++rec) {
    out.put(static_cast<char>(rec + 3));  // label
    for (int i = 0; i < 3072; ++i) {
      const uint8_t v = static_cast<uint8_t>(rec == 0 ? 17 : (i * 7 + i / 1024 * 50) % 256);
      if (rec == 1) (*record1)[i] = v;
      out.put(static_cast<char>(v));
    }
  }
  return path;
}

TEST(RunNetworkTest, CifarBatchAndNpyInputsGiveTheSameRun) {
  std::vector<uint8_t> image;
  const fs::path batch = WriteCifar(&image);
  RunRequest from_cifar = NetRequest("tests/data/nets/cifar_net.yaml");
  from_cifar.input_path = batch.string();
  from_cifar.index = 1;
  const auto a = RunInProcess(from_cifar, DeviceKind::kPlatform);
  // The same image as a uint8 .npy: the reports must agree on every counter.
  const fs::path npy = fs::temp_directory_path() / ("image_" + std::to_string(getpid()) + ".npy");
  WriteNpy(npy.string(), "u1", {3, 32, 32}, image.data(), image.size());
  RunRequest from_npy = NetRequest("tests/data/nets/cifar_net.yaml");
  from_npy.input_path = npy.string();
  const auto b = RunInProcess(from_npy, DeviceKind::kBare);
  EXPECT_NE(a.report["input"].get<std::string>().find("record 1"), std::string::npos);
  for (size_t i = 0; i < a.report["layers"].size(); ++i) {
    EXPECT_EQ(a.report["layers"][i]["counters"], b.report["layers"][i]["counters"]) << i;
  }
  // A different record is a different image: the zero-operand counts differ.
  from_cifar.index = 0;
  const auto c = RunInProcess(from_cifar, DeviceKind::kBare);
  EXPECT_NE(c.report["layers"][0]["counters"]["macs_zero"],
            a.report["layers"][0]["counters"]["macs_zero"]);
  for (const auto& p : {batch, npy}) fs::remove_all(p);
}

TEST(RunNetworkTest, CifarBatchAsADataset) {
  std::vector<uint8_t> image;
  const fs::path batch = WriteCifar(&image);  // two records, labels 3 and 4
  RunRequest request = NetRequest("tests/data/nets/cifar_net.yaml");
  request.dataset = batch.string();
  request.jobs = 2;  // one image per worker process (forked before SystemC elaborates here)
  const InProcessRun split = testcases::RunWithJobs(request, DeviceKind::kPlatform);
  request.jobs = 1;
  const auto [run, report] = RunInProcess(request, DeviceKind::kPlatform);
  EXPECT_EQ(split.report["parallel"]["split_by"], "images");
  EXPECT_EQ(split.report["parallel"]["groups"], nlohmann::json({"images 0..0", "images 1..1"}));
  EXPECT_EQ(split.run.predictions_csv, run.predictions_csv);
  EXPECT_EQ(split.report["dataset"], report["dataset"]);
  EXPECT_EQ(split.report["layers"], report["layers"]);
  EXPECT_EQ(report["dataset"]["images"], 2);
  EXPECT_EQ(report["dataset"]["bit_exact_images"], 2);
  ASSERT_TRUE(report["dataset"].contains("top1"));
  const std::string& csv = run.predictions_csv;
  EXPECT_NE(csv.find("\n0,3,"), std::string::npos) << csv;  // index 0, label 3
  EXPECT_NE(csv.find("\n1,4,"), std::string::npos) << csv;
  fs::remove_all(batch);
}

TEST(RunNetworkTest, WrappedAccumulationsAreCountedAndReported) {
  // One conv whose biases sit next to 2^31: positive sums wrap to negative, as the contract says.
  const fs::path dir = fs::temp_directory_path() / ("wrap_" + std::to_string(getpid()));
  fs::create_directories(dir / "weights");
  std::ofstream(dir / "net.yaml") << "name: wrap\ninput:\n  shape: [4, 6, 6]\n  scale_exp: 6\n"
                                     "weights: weights\nlayers:\n  - {name: conv1, type: conv2d,"
                                     " out_channels: 16, kernel: 3, padding: 1, shift: 20}\n";
  std::vector<int8_t> w(16 * 4 * 9, 100);
  std::vector<int32_t> b(16, INT32_MAX - 1000);
  WriteNpy((dir / "weights/conv1.weight.npy").string(), "i1", {16, 4, 3, 3}, w.data(), w.size());
  WriteNpy((dir / "weights/conv1.bias.npy").string(), "i4", {16}, b.data(), 4 * b.size());
  std::vector<uint8_t> image(4 * 36, 255);
  WriteNpy((dir / "image.npy").string(), "u1", {4, 6, 6}, image.data(), image.size());
  RunRequest request;
  request.net_path = (dir / "net.yaml").string();
  request.input_path = (dir / "image.npy").string();
  const auto rtl = RunInProcess(request, DeviceKind::kPlatform);
  const auto& layer = rtl.report["layers"][0];
  EXPECT_EQ(rtl.report["bit_exact"], true);  // wrapping is the contract: still bit-exact
  EXPECT_GT(layer["counters"]["acc_wraps"].get<uint64_t>(), 0u);
  ASSERT_EQ(layer["warnings"].size(), 1u);
  EXPECT_NE(layer["warnings"][0].get<std::string>().find("wrapped"), std::string::npos);
  // The functional device counts the same wraps.
  const auto functional = RunInProcess(request, DeviceKind::kFunctional);
  EXPECT_EQ(functional.report["layers"][0]["counters"]["acc_wraps"],
            layer["counters"]["acc_wraps"]);
  // An ordinary net warns about nothing.
  const auto tiny = RunInProcess(NetRequest("configs/tiny.yaml"), DeviceKind::kFunctional);
  for (const auto& l : tiny.report["layers"]) EXPECT_TRUE(l["warnings"].empty()) << l["name"];
  fs::remove_all(dir);
}

TEST(RunNetworkTest, TooLargeANetworkIsRefusedFromItsShapes) {
  // 64x512x512 -> conv 3x3 -> 512 channels: 77 G MACs per image.
  const fs::path net = fs::temp_directory_path() / ("huge_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(net) << "name: huge\ninput:\n  shape: [64, 512, 512]\n  scale_exp: 6\n"
                        "weights: synthetic\n"
                        "layers:\n  - {name: conv1, type: conv2d, out_channels: 512, kernel: 3,"
                        " padding: 1, shift: 8}\n";
  RunRequest request;
  request.net_path = net.string();
  try {
    PrepareRun(request);
    FAIL() << "expected a refusal";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("G MACs per image"), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  fs::remove(net);
}

}  // namespace
}  // namespace sasim
