// sim_run as a user runs it: the tiny net and VGG-8 end to end, the reports it writes, its exit
// codes, and every file in tests/data/bad_inputs refused with its exact message and exit code 2,
// with nothing written.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/shell_util.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
using testutil::Shell;
using testutil::Slurp;
const fs::path kSource = SASIM_SOURCE_DIR;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

Result SimRun(const std::string& args) {
  const fs::path tmp = fs::temp_directory_path() / ("sim_run_test_" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const std::string cmd = std::string(SIM_RUN_PATH) + " " + args + " >" + (tmp / "out").string() +
                          " 2>" + (tmp / "err").string();
  Result r;
  r.exit_code = Shell(cmd);
  r.out = Slurp(tmp / "out");
  r.err = Slurp(tmp / "err");
  fs::remove_all(tmp);
  return r;
}

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  return dir;
}

TEST(SimRunTest, TinyNetEndToEnd) {
  const fs::path out = FreshDir("tiny");
  const Result r = SimRun("--net " + (kSource / "configs/tiny.yaml").string() + " --out " +
                          out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("bit-exact: yes"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
  EXPECT_EQ(report["net"], "tiny");
  EXPECT_EQ(report["bit_exact"], true);
  EXPECT_EQ(report["hw"]["array_rows"], 16);
  EXPECT_EQ(report["hw"]["array_cols"], 16);
  ASSERT_EQ(report["layers"].size(), 4u);
  int64_t macs = 0;
  uint64_t cycles = 0;
  for (const auto& l : report["layers"]) {
    EXPECT_EQ(l["bit_exact"], true);
    EXPECT_TRUE(l["type"] == "conv2d" || l["type"] == "linear");
    EXPECT_GT(l["cycles"].get<uint64_t>(), 0u);
    EXPECT_GE(l["cycles"].get<double>(), l["compute_bound_cycles"].get<double>());
    EXPECT_EQ(l["counters"]["macs"], l["macs"]);
    macs += l["macs"].get<int64_t>();
    cycles += l["cycles"].get<uint64_t>();
  }
  // conv1 3x12x12 -> 20, conv2 20x6x6 -> 24 stride 2, fc3 216 -> 33, fc4 33 -> 10.
  EXPECT_EQ(macs, 3 * 9 * 20 * 144 + 20 * 9 * 24 * 9 + 216 * 33 + 33 * 10);
  EXPECT_EQ(report["totals"]["macs"], macs);
  EXPECT_EQ(report["totals"]["cycles"], cycles);
  const std::string csv = Slurp(out / "cycles.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_FALSE(fs::exists(out / "report.json.tmp"));
  fs::remove_all(out);
}

TEST(SimRunTest, Vgg8EndToEnd) {
  const fs::path out = FreshDir("vgg8");
  const Result r = SimRun("--net " + (kSource / "configs/vgg8.yaml").string() + " --out " +
                          out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
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
                  report["layers"][i]["saturated_share"].get<double>(), 0.5) << names[i];
  }
  // The hardware's efficiency (simulated cycles, not wall time): conv2..conv5 keep the array
  // at least 95% busy, and the whole net stays within 1.10x of the per-layer roofline sum.
  for (const char* conv : {"conv2", "conv3", "conv4", "conv5"}) {
    EXPECT_GE(layers[conv]["utilization"].get<double>(), 0.95) << conv;
  }
  EXPECT_LE(report["totals"]["cycles"].get<double>(),
            1.10 * report["totals"]["roofline_cycles"].get<double>());
  fs::remove_all(out);
}

TEST(SimRunTest, InjectedFaultIsCaughtWithLayerIndexAndValues) {
  const fs::path out = FreshDir("fault");
  const Result r = SimRun("--net " + (kSource / "configs/tiny.yaml").string() +
                          " --inject-fault conv2 --out " + out.string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("MISMATCH layer conv2: output index"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("expected"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(", got"), std::string::npos) << r.err;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
  EXPECT_EQ(report["bit_exact"], false);
  EXPECT_EQ(report["layers"][0]["bit_exact"], true);   // conv1 is untouched
  EXPECT_EQ(report["layers"][1]["bit_exact"], false);  // conv2 is where it goes wrong
  fs::remove_all(out);
}

TEST(SimRunTest, SaturatingShiftIsCalibratedAndReported) {
  const fs::path out = FreshDir("saturating");
  const Result r = SimRun("--net " + (kSource / "tests/data/nets/saturating.yaml").string() +
                          " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("note: conv1 calibrated"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
  const auto& l = report["layers"][0];
  EXPECT_EQ(l["calibrated"], true);
  EXPECT_EQ(l["configured_shift"], 0);
  EXPECT_GT(l["shift"].get<int>(), 0);
  EXPECT_LT(l["zero_share"].get<double>() + l["saturated_share"].get<double>(), 0.5);
  EXPECT_EQ(report["bit_exact"], true);
  fs::remove_all(out);
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

TEST(SimRunTest, CifarBatchAndNpyInputsGiveTheSameRun) {
  std::vector<uint8_t> image;
  const fs::path batch = WriteCifar(&image);
  const std::string net = (kSource / "tests/data/nets/cifar_net.yaml").string();
  const fs::path out1 = FreshDir("cifar"), out2 = FreshDir("npy");
  const Result a = SimRun("--net " + net + " --input " + batch.string() + " --index 1 --out " +
                          out1.string());
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  // The same image as a uint8 .npy: the reports must agree on every counter.
  const fs::path npy = fs::temp_directory_path() / ("image_" + std::to_string(getpid()) + ".npy");
  {
    std::string header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 32, 32), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::ofstream f(npy, std::ios::binary);
    f.write("\x93NUMPY\x01\x00", 8);
    f.put(static_cast<char>(header.size() & 0xff));
    f.put(static_cast<char>(header.size() >> 8));
    f << header;
    f.write(reinterpret_cast<const char*>(image.data()), static_cast<std::streamsize>(image.size()));
  }
  const Result b = SimRun("--net " + net + " --input " + npy.string() + " --out " + out2.string());
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  const auto ra = nlohmann::json::parse(Slurp(out1 / "report.json"));
  const auto rb = nlohmann::json::parse(Slurp(out2 / "report.json"));
  EXPECT_NE(ra["input"].get<std::string>().find("record 1"), std::string::npos);
  for (size_t i = 0; i < ra["layers"].size(); ++i) {
    EXPECT_EQ(ra["layers"][i]["counters"], rb["layers"][i]["counters"]) << i;
  }
  // A different record is a different image: the zero-operand counts differ.
  const fs::path out3 = FreshDir("cifar0");
  const Result c = SimRun("--net " + net + " --input " + batch.string() + " --index 0 --out " +
                          out3.string());
  ASSERT_EQ(c.exit_code, 0);
  const auto rc = nlohmann::json::parse(Slurp(out3 / "report.json"));
  EXPECT_NE(rc["layers"][0]["counters"]["macs_zero"], ra["layers"][0]["counters"]["macs_zero"]);
  for (const auto& p : {out1, out2, out3, batch, npy}) fs::remove_all(p);
}

TEST(SimRunTest, CifarBatchAsADataset) {
  std::vector<uint8_t> image;
  const fs::path batch = WriteCifar(&image);  // two records, labels 3 and 4
  const fs::path out = FreshDir("dataset");
  const Result r = SimRun("--net " + (kSource / "tests/data/nets/cifar_net.yaml").string() +
                          " --dataset " + batch.string() + " --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("dataset: 2 images, 2 bit-exact"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(Slurp(out / "report.json"));
  EXPECT_EQ(report["dataset"]["images"], 2);
  EXPECT_EQ(report["dataset"]["bit_exact_images"], 2);
  ASSERT_TRUE(report["dataset"].contains("top1"));
  const std::string csv = Slurp(out / "predictions.csv");
  EXPECT_NE(csv.find("\n0,3,"), std::string::npos) << csv;  // index 0, label 3
  EXPECT_NE(csv.find("\n1,4,"), std::string::npos) << csv;
  fs::remove_all(out);
  fs::remove_all(batch);
}

TEST(SimRunTest, HelpVersionAndUsageErrors) {
  EXPECT_EQ(SimRun("--help").exit_code, 0);
  const Result version = SimRun("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("sim_run (sasim)"), std::string::npos);
  EXPECT_EQ(SimRun("").exit_code, 2);  // --net is required
  EXPECT_EQ(SimRun("--net x.yaml --frobnicate").exit_code, 2);
  const Result missing = SimRun("--net /nonexistent/net.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "sim_run: error: /nonexistent/net.yaml: cannot open file\n");
}

TEST(SimRunTest, EveryBadInputIsRefusedWithItsMessage) {
  const fs::path dir = kSource / "tests/data/bad_inputs";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path path = entry.path();
    const std::string name = path.filename().string();
    if (entry.is_directory() || path.extension() == ".expect") continue;
    SCOPED_TRACE(name);
    std::string expected, args;
    if (path.extension() == ".yaml") {
      std::ifstream in(path);
      std::string first;
      std::getline(in, first);
      ASSERT_EQ(first.rfind("# expect: ", 0), 0u);
      expected = first.substr(10);
      args = name.rfind("hw_", 0) == 0
                 ? "--net " + (kSource / "configs/tiny.yaml").string() + " --hw " + path.string()
                 : "--net " + path.string();
    } else {
      std::ifstream in(path.string() + ".expect");
      ASSERT_TRUE(in) << "needs a .expect file";
      std::string line, net, index = "0";
      while (std::getline(in, line)) {
        if (line.rfind("net: ", 0) == 0) net = line.substr(5);
        if (line.rfind("index: ", 0) == 0) index = line.substr(7);
        if (line.rfind("expect: ", 0) == 0) expected = line.substr(8);
      }
      args = "--net " + (kSource / net).string() + " --input " + path.string() + " --index " +
             index;
    }
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{file}", path.string()},
                                     {"{path}", path.string()},
                                     {"{dir}", dir.string()}}) {
      for (size_t at; (at = expected.find(key)) != std::string::npos;) {
        expected.replace(at, key.size(), value);
      }
    }
    const fs::path out = FreshDir("bad");
    const Result r = SimRun(args + " --out " + out.string());
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(r.err, "sim_run: error: " + expected + "\n");
    EXPECT_FALSE(fs::exists(out)) << "a refused run must write nothing";
    ++checked;
  }
  EXPECT_GE(checked, 25);
}

}  // namespace
}  // namespace sasim
