// Waveforms from sim_run: the dump of one layer tells the truth (the output buffer writes in it
// are the golden model's outputs, in the hardware's order), the shipped GTKWave views name only
// signals the dump has and filters that exist, the run-cycle trace counts run cycles, the window
// is honoured and FST works.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/shell_util.h"

#include "compiler/layer_compiler.h"
#include "compiler/net_ir.h"
#include "contract/layout.h"
#include "host/config/config_loader.h"
#include "host/config/hw_loader.h"
#include "host/net/prepare.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
using testutil::Shell;
using testutil::Slurp;



// A small VCD reader: the full names of all variables, and the changes of a few of them.
struct Vcd {
  std::map<std::string, std::string> id_of;  // full name -> id code
  std::map<std::string, int> width_of;
  // For the watched ids: (time, value as binary string) in file order.
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> changes;
};

Vcd ReadVcd(const fs::path& path, const std::set<std::string>& watch) {
  Vcd vcd;
  std::ifstream in(path);
  std::string line;
  std::vector<std::string> scope;
  std::set<std::string> watch_ids;
  uint64_t time = 0;
  bool header = true;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string tok;
    ss >> tok;
    if (header) {
      if (tok == "$scope") {
        std::string kind, name;
        ss >> kind >> name;
        scope.push_back(name);
      } else if (tok == "$upscope") {
        scope.pop_back();
      } else if (tok == "$var") {
        std::string kind, id, name;
        int width;
        ss >> kind >> width >> id >> name;
        std::string full;
        for (const auto& s : scope) full += s + ".";
        full += name;
        vcd.id_of[full] = id;
        vcd.width_of[full] = width;
        if (watch.count(full)) watch_ids.insert(id);
      } else if (tok == "$enddefinitions") {
        header = false;
      }
      continue;
    }
    if (tok.empty()) continue;
    if (tok[0] == '#') {
      time = std::stoull(tok.substr(1));
    } else if (tok[0] == 'b') {
      std::string id;
      ss >> id;
      if (watch_ids.count(id)) vcd.changes[id].push_back({time, tok.substr(1)});
    } else if (tok[0] == '0' || tok[0] == '1') {
      const std::string id = tok.substr(1);
      if (watch_ids.count(id)) vcd.changes[id].push_back({time, tok.substr(0, 1)});
    }
  }
  return vcd;
}

// Value of a signal at `time` (the last change at or before it).
std::string ValueAt(const std::vector<std::pair<uint64_t, std::string>>& changes, uint64_t t) {
  std::string v = "0";
  for (const auto& [time, value] : changes) {
    if (time > t) break;
    v = value;
  }
  return v;
}

uint64_t Bits(const std::string& bin, int lo, int width) {
  uint64_t v = 0;
  const int n = static_cast<int>(bin.size());
  for (int b = lo + width - 1; b >= lo; --b) {
    v = (v << 1) | ((b < n && bin[n - 1 - b] == '1') ? 1 : 0);
  }
  return v;
}

const std::string kCompute = "accel.sa_top.u_compute.";

TEST(WaveformTest, OutputPathInTheDumpIsTheGoldenOutput) {
  const fs::path dir = fs::temp_directory_path() / ("wave_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string net_path = SASIM_SOURCE_DIR "/configs/tiny.yaml";
  ASSERT_EQ(Shell(std::string(SIM_RUN_PATH) + " --net " + net_path + " --out " +
                  (dir / "run").string() + " --quiet --trace " + (dir / "conv1.vcd").string() +
                  " --trace-layer conv1 > " + (dir / "out.txt").string()),
            0) << Slurp(dir / "out.txt");
  const auto report = nlohmann::json::parse(Slurp(dir / "run" / "report.json"));
  ASSERT_TRUE(report.contains("trace"));
  EXPECT_EQ(report["trace"]["bytes"].get<uint64_t>(), fs::file_size(dir / "conv1.vcd"));
  // The window is conv1: it opened at the run's start and covers about conv1's cycles.
  EXPECT_LE(report["trace"]["cycles"].get<uint64_t>(),
            report["layers"][0]["cycles"].get<uint64_t>() + 200);
  EXPECT_GE(report["trace"]["cycles"].get<uint64_t>(),
            report["layers"][0]["cycles"].get<uint64_t>() - 200);

  const std::string we = kCompute + "obuf_we_o", addr = kCompute + "obuf_waddr_o",
                    data = kCompute + "obuf_wdata_o", clk = "accel.clk_i";
  const Vcd vcd = ReadVcd(dir / "conv1.vcd", {we, addr, data, clk});
  for (const auto& name : {we, addr, data, clk}) ASSERT_TRUE(vcd.id_of.count(name)) << name;

  // Writes happen at rising edges: sample the write port at the clock-low dump before each edge.
  // Dump times are picoseconds: 200 MHz (configs/hw/default.yaml) is 5000 ps a cycle.
  constexpr uint64_t kPeriod = 5000;
  const auto& we_changes = vcd.changes.at(vcd.id_of.at(we));
  const auto& addr_changes = vcd.changes.at(vcd.id_of.at(addr));
  const auto& data_changes = vcd.changes.at(vcd.id_of.at(data));
  std::set<uint64_t> write_times;
  for (const auto& [t, v] : we_changes) {
    if (v == "1") {
      // we stays high for consecutive cycles: every even time until it falls.
      uint64_t end = UINT64_MAX;
      for (const auto& [t2, v2] : we_changes) {
        if (t2 > t && v2 == "0") {
          end = t2;
          break;
        }
      }
      for (uint64_t u = (t + kPeriod - 1) / kPeriod * kPeriod; u < end; u += kPeriod) {
        write_times.insert(u);
      }
    }
  }
  // The golden model's conv1 output (tiny: 20 channels, pooled to 6x6), as C16 words.
  const compiler::NetSpec spec = LoadNet(net_path);
  Network net = NetworkOf(spec, compiler::Fuse(spec));
  const PreparedNet prepared = PrepareNet(
      spec, std::move(net),
      SyntheticImage({spec.input_channels, spec.input_height, spec.input_width}, spec.seed));
  const TensorShape conv1 = prepared.net.layers[0].out_shape();
  const int oh = conv1.height, ow = conv1.width;
  const auto golden_c16 = PackC16(prepared.golden[0], conv1.channels, oh, ow);
  const int pixels = oh * ow;
  const int tiles = ChannelBlocks(conv1.channels);
  ASSERT_EQ(static_cast<int>(write_times.size()), tiles * pixels);  // one band (12x12 fits)
  // Output slots are the output buffer cut into the tiling's ring (a tile at a slot's start).
  const HwConfig hw = LoadHwConfig(SASIM_SOURCE_DIR "/configs/hw/default.yaml");
  const compiler::Tiling tiling = compiler::ChooseTiling(prepared.net.layers[0], hw);
  const uint32_t slot_words = hw.obuf_words() / static_cast<uint32_t>(tiling.out_slots);
  int index = 0;
  std::vector<int> order;
  for (uint64_t t : write_times) {
    const int tile = index / pixels;
    const uint64_t a = std::stoull(ValueAt(addr_changes, t), nullptr, 2);
    const std::string word = ValueAt(data_changes, t);
    const int pixel = static_cast<int>(a % slot_words);
    ASSERT_LT(pixel, pixels);
    for (int lane = 0; lane < 16 && 16 * tile + lane < conv1.channels; ++lane) {
      const uint8_t want = golden_c16[(static_cast<size_t>(tile) * pixels + pixel) * 16 + lane];
      ASSERT_EQ(Bits(word, 8 * lane, 8), want)
          << "write " << index << " (tile " << tile << ", pixel " << pixel << ", lane " << lane
          << ") at time " << t;
    }
    if (tile == 0) order.push_back(pixel);
    ++index;
  }
  // In order: a 16-row fold drains windows last row first, so the first pooled pixel written is
  // the fold's last window (pixel 3 of 0..3), then 2, 1, 0.
  ASSERT_GE(order.size(), 4u);
  EXPECT_EQ(order[0], 3);
  EXPECT_EQ(order[3], 0);
  fs::remove_all(dir);
}

TEST(WaveformTest, ShippedViewsNameSignalsOfTheDump) {
  const fs::path dir = fs::temp_directory_path() / ("views_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ASSERT_EQ(Shell(std::string(SIM_RUN_PATH) + " --net " SASIM_SOURCE_DIR "/configs/tiny.yaml"
                  " --out " + (dir / "run").string() + " --quiet --trace " +
                  (dir / "all.vcd").string() + " --trace-cycles 0:300 > /dev/null"),
            0);
  const Vcd vcd = ReadVcd(dir / "all.vcd", {});
  std::set<std::string> names;
  for (const auto& [name, id] : vcd.id_of) {
    names.insert(name);
    // Arrays and buses appear in save files with their range, e.g. a[7:0] or a[1][0][31:0].
    if (vcd.width_of.at(name) > 1) {
      names.insert(name + "[" + std::to_string(vcd.width_of.at(name) - 1) + ":0]");
    }
  }
  int views = 0;
  const std::string kFilters = "/sasim/waveforms/filters/";  // under the views' [savefile]
  for (const auto& entry : fs::directory_iterator(SASIM_SOURCE_DIR "/waveforms")) {
    // The shipped views; a view sim_run wrote beside a dump there has two dots.
    if (entry.path().extension() != ".gtkw" ||
        entry.path().stem().string().find('.') != std::string::npos) {
      continue;
    }
    ++views;
    std::ifstream in(entry.path());
    std::string line;
    int signals = 0, filters = 0;
    while (std::getline(in, line)) {
      if (line.rfind("^1 ", 0) == 0) {
        // A translate filter: named under [savefile]'s folder, present in waveforms/filters/.
        ++filters;
        ASSERT_EQ(line.rfind("^1 " + kFilters, 0), 0u) << entry.path().filename() << ": " << line;
        EXPECT_TRUE(fs::is_regular_file(SASIM_SOURCE_DIR "/waveforms/filters/" +
                                        line.substr(3 + kFilters.size())))
            << entry.path().filename() << ": " << line;
        continue;
      }
      if (line.empty() || line[0] == '[' || line[0] == '@' || line[0] == '*' || line[0] == '-') {
        continue;
      }
      if (line.rfind("+{", 0) == 0) line = line.substr(line.find("} ") + 2);  // an alias
      ++signals;
      EXPECT_TRUE(names.count(line)) << entry.path().filename() << ": " << line;
    }
    EXPECT_GT(signals, 5) << entry.path();
    EXPECT_GE(filters, 1) << entry.path() << ": states by name";
    EXPECT_TRUE(names.count("accel.sa_top.u_csr.run_cycle[31:0]"));
  }
  EXPECT_GE(views, 3);
  // The window: 300 cycles, two dumps each (clock low, clock high), plus the header time.
  const auto report = nlohmann::json::parse(Slurp(dir / "run" / "report.json"));
  EXPECT_EQ(report["trace"]["cycles"], 300);
  EXPECT_EQ(report["trace"]["first_cycle"], 0);
  // Time in cycles: during run cycle N the traced counter reads N, from the first cycle of the
  // run to the last of the window (the clock-low dump of each cycle).
  const std::string counter = "accel.sa_top.u_csr.run_cycle";
  const Vcd cycles = ReadVcd(dir / "all.vcd", {counter});
  const auto& changes = cycles.changes.at(cycles.id_of.at(counter));
  ASSERT_FALSE(changes.empty());
  const uint64_t t0 = changes.front().first;
  constexpr uint64_t kPeriod = 5000;
  for (uint64_t n : {0, 1, 2, 150, 299}) {
    EXPECT_EQ(std::stoull(ValueAt(changes, t0 + n * kPeriod), nullptr, 2), n) << "run cycle " << n;
  }
  fs::remove_all(dir);
}

TEST(WaveformTest, FstIsWrittenThroughVcd2fstAndIsSmaller) {
  const fs::path dir = fs::temp_directory_path() / ("fst_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const char* ext : {"vcd", "fst"}) {
    ASSERT_EQ(Shell(std::string(SIM_RUN_PATH) + " --net " SASIM_SOURCE_DIR "/configs/tiny.yaml"
                    " --out " + (dir / "run").string() + " --quiet --trace " +
                    (dir / (std::string("conv2.") + ext)).string() +
                    " --trace-layer conv2 > /dev/null"),
              0);
  }
  ASSERT_TRUE(fs::exists(dir / "conv2.fst"));
  EXPECT_FALSE(fs::exists(dir / "conv2.fst.vcd.tmp"));
  EXPECT_LT(fs::file_size(dir / "conv2.fst"), fs::file_size(dir / "conv2.vcd"));
  std::ifstream in(dir / "conv2.fst", std::ios::binary);
  EXPECT_EQ(in.get(), 0);  // FST starts with a header block of type 0
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
