// Waveforms from sim_run: the dump of one layer tells the truth (the output buffer writes in it
// are the golden model's outputs, in the hardware's order), the shipped GTKWave views name only
// signals the dump has and filters that exist, the run-cycle trace counts run cycles, the views
// written beside a dump name it and open on its folds (read from the dump by this test), the
// window is honoured and FST works. GTKWave itself opens the views in gtkwave_view_test.cc.
#include <sys/wait.h>

#include <cmath>
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

// The first step of each fold (in_first_i rises with in_valid_i) and each drain's first result
// (out_valid_o rises), read from the dump on their own.
struct Folds {
  std::vector<uint64_t> starts, drains;
};
Folds FoldsOf(const Vcd& vcd) {
  const std::string array = kCompute + "u_array.";
  std::map<uint64_t, std::map<std::string, char>> at;  // time -> signal -> value
  for (const char* name : {"in_valid_i", "in_first_i", "out_valid_o"}) {
    for (const auto& [t, v] : vcd.changes.at(vcd.id_of.at(array + name))) at[t][name] = v[0];
  }
  Folds folds;
  std::map<std::string, char> now = {
      {"in_valid_i", '0'}, {"in_first_i", '0'}, {"out_valid_o", '0'}};
  bool stepping_first = false, draining = false;
  for (const auto& [t, values] : at) {
    for (const auto& [name, v] : values) now[name] = v;
    const bool first = now["in_valid_i"] == '1' && now["in_first_i"] == '1';
    if (first && !stepping_first) folds.starts.push_back(t);
    stepping_first = first;
    const bool out = now["out_valid_o"] == '1';
    if (out && !draining && !folds.starts.empty()) folds.drains.push_back(t);
    draining = out;
  }
  return folds;
}

// A view sim_run wrote: its settings, the zoom line's numbers, its markers' names.
struct View {
  std::map<std::string, std::string> settings;  // "[key]" -> rest of the line
  double zoom = 0;
  int64_t marker = -1;
  std::vector<int64_t> named;
  std::vector<std::string> marker_names, filters;
  uint64_t Begin() const { return std::stoull(settings.at("[timestart]")); }
  // The end of what GTKWave shows: 2^-zoom ps per 200 pixels of a pane of the window's width
  // less the signals pane and 64 pixels of borders (the tree folded away).
  uint64_t End() const {
    const int pane = std::stoi(settings.at("[size]")) - std::stoi(settings.at("[signals_width]")) -
                     std::stoi(settings.at("[sst_width]")) - 64;
    return Begin() + static_cast<uint64_t>(std::pow(2.0, -zoom) / 200.0 * pane);
  }
};
View ReadView(const fs::path& path) {
  View v;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("[markername] ", 0) == 0) {
      v.marker_names.push_back(line.substr(13));
    } else if (line[0] == '[') {
      const size_t close = line.find(']');
      v.settings[line.substr(0, close + 1)] = line.substr(std::min(line.size(), close + 2));
    } else if (line[0] == '*') {
      std::istringstream ss(line.substr(1));
      ss >> v.zoom >> v.marker;
      for (int64_t m; ss >> m;) {
        if (m >= 0) v.named.push_back(m);
      }
    } else if (line.rfind("^1 ", 0) == 0) {
      v.filters.push_back(line.substr(3));
    }
  }
  return v;
}

TEST(WaveformTest, ViewsBesideTheDumpOpenOnItsFoldsWithMarkersAtTheirStarts) {
  const fs::path dir = fs::temp_directory_path() / ("viewsd_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ASSERT_EQ(Shell(std::string(SIM_RUN_PATH) +
                  " --net " SASIM_SOURCE_DIR "/configs/tiny.yaml"
                  " --out " +
                  (dir / "run").string() + " --quiet --trace " + (dir / "conv2.vcd").string() +
                  " --trace-layer conv2 > " + (dir / "out.txt").string()),
            0);
  const std::string out = Slurp(dir / "out.txt");
  const auto report = nlohmann::json::parse(Slurp(dir / "run" / "report.json"));
  std::vector<std::string> want;
  for (const char* name : {"array", "controller", "requant_pool", "vector"}) {
    want.push_back((dir / ("conv2." + std::string(name) + ".gtkw")).string());
    EXPECT_NE(out.find("view: gtkwave " + want.back()), std::string::npos) << out;
  }
  EXPECT_EQ(report["trace"]["views"].get<std::vector<std::string>>(), want);

  const std::string array = kCompute + "u_array.";
  const Vcd vcd = ReadVcd(dir / "conv2.vcd", {array + "in_valid_i", array + "in_first_i",
                                              array + "out_valid_o", "accel.clk_i"});
  const Folds folds = FoldsOf(vcd);
  ASSERT_GE(folds.starts.size(), 2u);  // conv2 of tiny: two output tiles of one fold
  ASSERT_GE(folds.drains.size(), 2u);
  const auto& clk = vcd.changes.at(vcd.id_of.at("accel.clk_i"));
  const uint64_t dump_start = clk.front().first, dump_end = clk.back().first;
  constexpr uint64_t kPeriod = 5000;

  std::map<std::string, View> views;
  for (size_t i = 0; i < want.size(); ++i) {
    const View v = ReadView(want[i]);
    const std::string name = fs::path(want[i]).filename();
    EXPECT_EQ(v.settings.at("[dumpfile]"), "\"" + (dir / "conv2.vcd").string() + "\"") << name;
    EXPECT_EQ(v.settings.at("[savefile]"), "\"" + want[i] + "\"") << name;
    // Named markers at the fold starts, called fold 1, fold 2, ...
    EXPECT_EQ(v.named, std::vector<int64_t>(folds.starts.begin(), folds.starts.end())) << name;
    ASSERT_EQ(v.marker_names.size(), folds.starts.size()) << name;
    EXPECT_EQ(v.marker_names[1], "Bfold 2") << name;
    for (const auto& f : v.filters) {
      EXPECT_TRUE(fs::path(f).is_absolute() && fs::is_regular_file(f)) << name << ": " << f;
    }
    EXPECT_FALSE(v.filters.empty()) << name;
    // Inside the dump, and wide enough for clock edges: at least 16 cycles.
    EXPECT_GE(v.Begin(), dump_start) << name;
    EXPECT_GE(v.End() - v.Begin(), 16 * kPeriod) << name;
    views[name] = v;
  }
  // array: the first two folds from their first steps to the second drain.
  const View& a = views.at("conv2.array.gtkw");
  EXPECT_LT(a.Begin(), folds.starts[0]);
  EXPECT_GT(a.End(), folds.drains[1]);
  EXPECT_EQ(a.marker, static_cast<int64_t>(folds.starts[0]));
  // controller: from the dump's start (the layer's loads) to the second drain.
  const View& c = views.at("conv2.controller.gtkw");
  EXPECT_EQ(c.Begin(), dump_start);
  EXPECT_GT(c.End(), folds.drains[1]);
  // requant_pool: the first drain, close enough to read each cycle's values (<= 64 cycles).
  const View& r = views.at("conv2.requant_pool.gtkw");
  EXPECT_LT(r.Begin(), folds.drains[0]);
  EXPECT_GT(r.End(), folds.drains[0] + 16 * kPeriod);
  EXPECT_LE(r.End() - r.Begin(), 64 * kPeriod);
  EXPECT_EQ(r.marker, static_cast<int64_t>(folds.drains[0]));
  EXPECT_LE(r.End(), dump_end + 64 * kPeriod);
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
