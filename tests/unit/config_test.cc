// Config loading: every shipped hw config loads; every file in tests/data/bad_inputs fails with
// exactly the message written on its first line ("# expect: ...", {file} = its path); the hw key
// table of configs/README.md is the one of contract/hw_config.cc; files that are not regular
// files (a directory, a FIFO, /dev/zero, a symlink loop) or too large are refused by every loader.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/net_ir.h"
#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "host/io/npy.h"
#include "host/net/input.h"
#include "host/net/prepare.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = SASIM_SOURCE_DIR;

TEST(ConfigTest, EveryShippedHwConfigLoads) {
  int loaded = 0;
  // configs/hw (a model built with the project for each) and configs/hw/shapes (built on
  // demand).
  for (const auto& entry : fs::recursive_directory_iterator(kSource / "configs/hw")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const HwConfig hw = LoadHwConfig(entry.path().string());
    EXPECT_EQ(hw.name, entry.path().stem().string());
    // Lanes of one output word per drained row, or whole words (sa_compute).
    EXPECT_TRUE(hw.array_cols % 16 == 0 || 16 % hw.array_cols == 0) << hw.array_cols;
    ++loaded;
  }
  EXPECT_GE(loaded, 6);
}

TEST(ConfigTest, EveryShippedEnergyTableLoads) {
  int loaded = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "configs/energy")) {
    SCOPED_TRACE(entry.path().string());
    const EnergyTable t = LoadEnergyTable(entry.path().string());
    EXPECT_EQ(t.name, entry.path().stem().string());
    EXPECT_GT(t.MacPj(), 0.0);
    EXPECT_GT(t.fp32_mult_pj + t.fp32_add_pj, 0.0);
    ++loaded;
  }
  EXPECT_EQ(loaded, 3);
}

TEST(ConfigTest, DefaultConfigIsTheRealisticEdgeConfig) {
  const HwConfig hw = LoadHwConfig((kSource / "configs/hw/default.yaml").string());
  EXPECT_EQ(hw.array_rows, 16);
  EXPECT_LE(hw.abuf_bytes + hw.wbuf_bytes + hw.obuf_bytes, 512u * 1024);
  EXPECT_LE(hw.dram_bytes_per_cycle, 16u);
  EXPECT_GE(hw.dram_latency_cycles, 50u);
  EXPECT_EQ(hw.clock_mhz, 200.0);
}

TEST(ConfigTest, EveryBadHwInputFailsWithItsMessage) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(kSource / "tests/data/bad_inputs")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("hw_", 0) != 0) continue;
    SCOPED_TRACE(name);
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << "first line must say what to expect";
    std::string expected = first.substr(10);
    const std::string path = entry.path().string();
    expected.replace(expected.find("{file}"), 6, path);
    try {
      LoadHwConfig(path);
      ADD_FAILURE() << "loaded without error";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(ConfigTest, MissingFileIsAnInputError) {
  EXPECT_THROW(LoadHwConfig("/nonexistent/hw.yaml"), InputError);
}

// The first line of a bad input, "# expect: MESSAGE", with every {file} and {dir} replaced.
std::string Expected(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string first;
  std::getline(in, first);
  if (first.rfind("# expect: ", 0) != 0) return "(no '# expect: ' line)";
  std::string expected = first.substr(10);
  const std::map<std::string, std::string> values = {
      {"{file}", path.string()}, {"{dir}", (kSource / "tests/data/bad_inputs").string()}};
  for (const auto& [key, value] : values) {
    for (size_t at; (at = expected.find(key)) != std::string::npos;) {
      expected.replace(at, key.size(), value);
    }
  }
  return expected;
}

// Runs `load` on every file of `dir` whose name starts with `prefix` (all if empty) and ends in
// .yaml; each must throw InputError with its expected message. Returns how many were checked.
int CheckBadInputs(const fs::path& dir, const std::string& prefix,
                   const std::function<void(const std::string&)>& load) {
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() || entry.path().extension() != ".yaml") continue;
    if (name.rfind(prefix, 0) != 0) continue;
    SCOPED_TRACE(name);
    const std::string expected = Expected(entry.path());
    try {
      load(entry.path().string());
      ADD_FAILURE() << "loaded without error";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
    ++checked;
  }
  return checked;
}

// What sim_run does with a net before it simulates anything: load, fuse, prepare (weights).
void LoadAndPrepareNet(const std::string& path) {
  const compiler::NetSpec spec = LoadNet(path);
  Network net = NetworkOf(spec, compiler::Fuse(spec));
  std::vector<uint8_t> input = SyntheticImage(net.input, spec.seed);
  PrepareNet(spec, std::move(net), std::move(input));
}

TEST(ConfigTest, EveryBadNetInputFailsWithItsMessage) {
  const int checked = CheckBadInputs(kSource / "tests/data/bad_inputs", "net_", LoadAndPrepareNet);
  EXPECT_GE(checked, 35);
}

TEST(ConfigTest, EveryBadEnergyTableFailsWithItsMessage) {
  const int checked = CheckBadInputs(kSource / "tests/data/bad_inputs/energy", "",
                                     [](const std::string& p) { LoadEnergyTable(p); });
  EXPECT_GE(checked, 10);
}

// Tensor and image files (a .npy or CIFAR batch with NAME.expect: "net:", "index:", "expect:"),
// given to the net's input loader as sim_run --input does.
TEST(ConfigTest, EveryBadInputTensorFailsWithItsMessage) {
  const fs::path dir = kSource / "tests/data/bad_inputs";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const fs::path path = entry.path();
    if (entry.is_directory() || path.extension() == ".expect" || path.extension() == ".yaml") {
      continue;
    }
    SCOPED_TRACE(path.filename().string());
    std::ifstream in(path.string() + ".expect");
    ASSERT_TRUE(in) << "needs a .expect file";
    std::string line, net, expected;
    int index = 0;
    while (std::getline(in, line)) {
      if (line.rfind("net: ", 0) == 0) net = line.substr(5);
      if (line.rfind("index: ", 0) == 0) index = std::stoi(line.substr(7));
      if (line.rfind("expect: ", 0) == 0) expected = line.substr(8);
    }
    for (size_t at; (at = expected.find("{path}")) != std::string::npos;) {
      expected.replace(at, 6, path.string());
    }
    const compiler::NetSpec spec = LoadNet((kSource / net).string());
    const Network network = NetworkOf(spec, compiler::Fuse(spec));
    try {
      LoadInputImage(path.string(), index, network.input_format());
      ADD_FAILURE() << "loaded without error";
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
    ++checked;
  }
  EXPECT_GE(checked, 18);
}

// configs/README.md's hardware table: | key | type | unit | range | default | meaning |.
std::vector<std::vector<std::string>> ReadmeHwRows() {
  std::ifstream in(kSource / "configs/README.md");
  std::string line;
  bool in_section = false;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_section = line.find("Hardware configs") != std::string::npos;
    if (!in_section || line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream cols(line.substr(1));
    for (std::string cell; std::getline(cols, cell, '|');) {
      const size_t b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
    }
    if (cells.empty() || cells[0] == "key" || cells[0].rfind("---", 0) == 0) continue;
    rows.push_back(cells);
  }
  return rows;
}

TEST(ConfigTest, ReadmeHwTableIsTheKeyTable) {
  const auto rows = ReadmeHwRows();
  const auto& keys = HwKeys();
  ASSERT_EQ(rows.size(), keys.size()) << "configs/README.md lists another number of hw keys";
  for (size_t i = 0; i < keys.size(); ++i) {
    const HwKey& k = keys[i];
    const std::vector<std::string> expected = {k.name,
                                               HwKeyTypeName(k.type),
                                               *k.unit ? k.unit : "—",
                                               HwKeyRange(k),
                                               k.default_value ? k.default_value : "required",
                                               k.description};
    std::string row = "|";
    for (const auto& cell : expected) row += " " + cell + " |";
    EXPECT_EQ(rows[i], expected) << "configs/README.md row " << i + 1 << " should read\n" << row;
  }
}

TEST(ConfigTest, HwConfigDefaultsAreTheTableDefaults) {
  const HwConfig hw;
  for (const HwKey& k : HwKeys()) {
    if (k.default_value == nullptr) continue;
    EXPECT_EQ(HwKeyValue(k, hw), k.default_value) << k.name;
  }
}

TEST(ConfigTest, HwConfigFieldsRenderEveryKeyInFileUnits) {
  const HwConfig hw = LoadHwConfig((kSource / "configs/hw/small.yaml").string());
  const std::vector<std::pair<std::string, std::string>> expected = {{"name", "small"},
                                                                     {"array_rows", "8"},
                                                                     {"array_cols", "32"},
                                                                     {"abuf_kib", "4"},
                                                                     {"wbuf_kib", "16"},
                                                                     {"obuf_kib", "2"},
                                                                     {"dram_latency_cycles", "50"},
                                                                     {"dram_bytes_per_cycle", "8"},
                                                                     {"dram_bus_bytes", "64"},
                                                                     {"dram_mib", "16"},
                                                                     {"clock_mhz", "200"},
                                                                     {"watchdog_cycles", "50000"}};
  EXPECT_EQ(HwConfigFields(hw), expected);
  EXPECT_EQ(HwVerilatorParams(hw),
            (std::vector<std::string>{"-GRows=8", "-GCols=32", "-GBeatWords=4", "-GAbufWords=256",
                                      "-GWbufWords=1024", "-GObufWords=128"}));
}

// A fresh directory under the system's temporary directory.
fs::path TempDir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("sasim_config_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Every loader refuses what is not a regular file, or is too large, naming the path.
TEST(ConfigTest, EveryLoaderRefusesSpecialAndHugeFiles) {
  const fs::path dir = TempDir("special");
  const fs::path fifo = dir / "fifo.yaml", loop = dir / "loop.yaml", huge = dir / "huge.yaml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  fs::create_symlink(loop, loop);
  {
    std::ofstream out(huge);
    out << "name: " << std::string(5 << 20, 'x') << "\n";
  }
  const std::map<std::string, std::function<void(const std::string&)>> loaders = {
      {"hw", [](const std::string& p) { LoadHwConfig(p); }},
      {"net", [](const std::string& p) { LoadNet(p); }},
      {"energy", [](const std::string& p) { LoadEnergyTable(p); }},
      {"npy", [](const std::string& p) { ReadNpy(p); }}};
  for (const auto& [what, load] : loaders) {
    for (const std::string& path :
         {dir.string(), fifo.string(), std::string("/dev/zero"), loop.string(), huge.string()}) {
      if (what == "npy" && path == huge.string()) continue;  // a large .npy is fine
      SCOPED_TRACE(what + " " + path);
      try {
        load(path);
        ADD_FAILURE() << "loaded without error";
      } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      }
    }
  }
  fs::remove_all(dir);
}

// A hardware config's name is only shown, so any printable UTF-8 text of 1..64 characters does;
// integers may be hex or octal.
TEST(ConfigTest, HwNameIsAnyPrintableText) {
  const fs::path dir = TempDir("name");
  const fs::path path = dir / "hw.yaml";
  const std::string name = "Größe 16×16 — " + std::string(50, 'x');  // 64 characters, 68 bytes
  {
    std::ofstream out(path);
    out << "name: " << name << "\narray_rows: 0x10\narray_cols: 16\nabuf_kib: 0o100\n"
        << "wbuf_kib: +160\nobuf_kib: 32\ndram_latency_cycles: 60\n"
        << "dram_bytes_per_cycle: 16\nclock_mhz: 2.5e2\n";
  }
  const HwConfig hw = LoadHwConfig(path.string());
  EXPECT_EQ(hw.name, name);
  EXPECT_EQ(hw.array_rows, 16);
  EXPECT_EQ(hw.abuf_bytes, 64u * 1024);
  EXPECT_EQ(hw.wbuf_bytes, 160u * 1024);
  EXPECT_EQ(hw.clock_mhz, 250.0);
  fs::remove_all(dir);
}

TEST(ConfigTest, WeightsThroughASymlinkLoopAreNotADirectory) {
  const fs::path dir = TempDir("loop");
  fs::create_symlink(dir / "w", dir / "w");
  const fs::path net = dir / "net.yaml";
  {
    std::ofstream out(net);
    out << "name: n\ninput: {shape: [3, 4, 4]}\nweights: w\nlayers:\n  - {name: relu, type: "
           "relu}\n";
  }
  try {
    LoadNet(net.string());
    ADD_FAILURE() << "loaded without error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              net.string() + ":3: key 'weights': 'w' is neither 'synthetic' nor a directory");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
