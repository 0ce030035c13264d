// GTKWave itself opens every shipped view on a dump of VGG-8's conv3 (sim_run --trace-layer
// conv3, FST), under Xvfb: each view sim_run wrote beside the dump, and each template opened by
// hand on the dump. A Tcl probe run inside GTKWave reports what it shows (the time window, the
// markers, each trace's value at the primary marker) and takes a screenshot (xwd). Checked: the
// window is where the view is for (the first two folds, the layer's start, the first drain) and
// spans 16 cycles or more; states, opcodes and buffers show by name; the waves pane is not blank
// (clock edges and bit transitions drawn). With SASIM_WAVEFORM_SHOTS=DIR the screenshots of the
// views beside the dump are kept as DIR/waveform_<view>.png (tools/screenshot_waveform.sh: the
// docs' pictures). Skipped, saying so, only where xvfb-run is not installed.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
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

constexpr uint64_t kPeriod = 5000;  // ps a cycle at 200 MHz (configs/hw/default.yaml)
constexpr int kScreenWidth = 1400, kScreenHeight = 900;  // the views' [size]
constexpr uint64_t kTranslated = 1 << 13;                // GTKWave's TR_FTRANSLATED flag

// What GTKWave showed: from the probe's output.
struct Shown {
  int64_t window_start = -1, window_end = -1, dump_start = -1, marker = -1, pane = 0;
  int64_t named[3] = {-1, -1, -1};  // markers A, B, C
  struct Trace {
    uint64_t flags;
    std::string name, value;
  };
  std::vector<Trace> traces;
};

Shown ReadProbe(const fs::path& path) {
  Shown s;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string key;
    ss >> key;
    if (key == "window") ss >> s.window_start >> s.window_end;
    if (key == "dump") ss >> s.dump_start;
    if (key == "marker") ss >> s.marker;
    if (key == "named") ss >> s.named[0] >> s.named[1] >> s.named[2];
    if (key == "pane") ss >> s.pane;
    if (key == "trace") {
      const std::string rest = line.substr(6);
      const size_t a = rest.find('|'), b = rest.find('|', a + 1);
      s.traces.push_back(
          {std::stoull(rest.substr(0, a)), rest.substr(a + 1, b - a - 1), rest.substr(b + 1)});
    }
  }
  return s;
}

// A screenshot as xwd writes it (ZPixmap, 32 bits a pixel), as 0xRRGGBB values.
struct Shot {
  int width = 0, height = 0;
  std::vector<uint32_t> rgb;
  uint32_t at(int x, int y) const { return rgb[static_cast<size_t>(y) * width + x]; }
};

Shot ReadXwd(const fs::path& path) {
  const std::string d = Slurp(path);
  const auto u32 = [&](size_t field) {
    const auto* p = reinterpret_cast<const unsigned char*>(d.data()) + 4 * field;
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  };
  Shot shot;
  if (d.size() < 100) return shot;
  const uint32_t header = u32(0), format = u32(2), lsb_first = u32(7) == 0, bpp = u32(11),
                 line = u32(12), ncolors = u32(19);
  if (format != 2 || bpp != 32) return shot;
  shot.width = static_cast<int>(u32(4));
  shot.height = static_cast<int>(u32(5));
  const size_t data = header + size_t{ncolors} * 12;
  if (d.size() < data + static_cast<size_t>(line) * shot.height) return Shot{};
  for (int y = 0; y < shot.height; ++y) {
    for (int x = 0; x < shot.width; ++x) {
      const auto* p = reinterpret_cast<const unsigned char*>(d.data()) + data +
                      static_cast<size_t>(y) * line + 4 * x;
      shot.rgb.push_back(lsb_first ? (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0]
                                   : (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]);
    }
  }
  return shot;
}

// Columns of the waves pane where a trace draws a vertical stroke of 12 pixels or more in
// GTKWave's trace colour (green): a bit's transition or a clock edge. A blank pane has none,
// nor does a pane of flat lines with their values written once (text is shorter).
int ActiveColumns(const Shot& shot, int pane_width) {
  int active = 0;
  for (int x = shot.width - 22 - pane_width; x >= 0 && x < shot.width - 22; ++x) {
    int run = 0, longest = 0;
    for (int y = 140; y < shot.height - 30; ++y) {
      const uint32_t c = shot.at(x, y);
      const bool green = ((c >> 8) & 0xff) > 0x80 && (c >> 16) < 0x80 && (c & 0xff) < 0x80;
      run = green ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    if (longest >= 12) ++active;
  }
  return active;
}

bool OnPath(const std::string& tool) {
  return Shell("command -v " + tool + " > /dev/null 2>&1") == 0;
}

// Inside GTKWave, run by its timer: the first call sets a primary marker if the view has none
// (a template opened by hand), the second reports and takes the screenshot, then quits.
constexpr const char* kProbe = R"(global sasim_calls
if {![info exists sasim_calls]} { set sasim_calls 0 }
incr sasim_calls
if {$sasim_calls == 1 && [gtkwave::getMarker] < 0} {
  gtkwave::setMarker [expr {[gtkwave::getWindowStartTime] + 7500}]
}
if {$sasim_calls == 2} {
  puts "window [gtkwave::getWindowStartTime] [gtkwave::getWindowEndTime]"
  puts "dump [gtkwave::getMinTime] [gtkwave::getMaxTime]"
  puts "marker [gtkwave::getMarker]"
  puts "named [gtkwave::getNamedMarker A] [gtkwave::getNamedMarker B] [gtkwave::getNamedMarker C]"
  puts "pane [gtkwave::getWaveWidth]"
  for {set i 0} {$i < [gtkwave::getTotalNumTraces]} {incr i} {
    puts "trace [gtkwave::getTraceFlagsFromIndex $i]|[gtkwave::getTraceNameFromIndex $i]|[gtkwave::getTraceValueAtMarkerFromIndex $i]"
  }
  exec xwd -root -silent -out $::env(SASIM_SHOT)
  gtkwave::/File/Quit
}
)";

// Every value shown through a translate filter is an enumerator's name (CtrlDispatch), not a
// number; the run cycle is a number. Returns how many traces show a name.
int ExpectNamedValues(const Shown& s, const std::string& what) {
  static const std::regex kName("[A-Z][a-z][A-Za-z0-9]*");
  int named = 0;
  for (const auto& t : s.traces) {
    if (t.flags & kTranslated) {
      EXPECT_TRUE(std::regex_match(t.value, kName))
          << what << ": " << t.name << " = '" << t.value << "' (a name from the RTL's enum)";
      ++named;
    }
    if (t.name == "run cycle") {
      EXPECT_TRUE(std::regex_match(t.value, std::regex("[0-9]+"))) << what << ": " << t.value;
    }
  }
  EXPECT_GE(named, 1) << what;
  return named;
}

TEST(GtkwaveViewTest, EveryViewOpensOnReadableWavesWithStatesByName) {
  if (!OnPath("xvfb-run")) {
    GTEST_SKIP() << "xvfb-run is not installed (tools/install_deps.sh installs xvfb): the "
                    "views are not opened in GTKWave";
  }
  ASSERT_TRUE(OnPath("gtkwave") && OnPath("xwd"))
      << "gtkwave and xwd (x11-apps) are needed: tools/install_deps.sh";
  const fs::path dir = fs::temp_directory_path() / ("gtkwave_views_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path dump = dir / "vgg8_conv3.fst";
  const std::string run = std::string(SIM_RUN_PATH) +
                          " --net " SASIM_SOURCE_DIR "/configs/vgg8.yaml --out " +
                          (dir / "run").string() + " --quiet --no-html --trace " + dump.string() +
                          " --trace-layer conv3";
  ASSERT_EQ(Shell(run + " > " + (dir / "out.txt").string()), 0) << Slurp(dir / "out.txt");
  const auto report = nlohmann::json::parse(Slurp(dir / "run" / "report.json"));
  const auto views = report["trace"]["views"].get<std::vector<std::string>>();

  // Each opening: (what, GTKWave's arguments). The views beside the dump name it themselves;
  // the shipped ones (every waveforms/<name>.gtkw) are opened by hand on it.
  std::vector<std::pair<std::string, std::string>> openings;
  for (const auto& view : views) openings.emplace_back(view, "'" + view + "'");
  for (const auto& entry : fs::directory_iterator(SASIM_SOURCE_DIR "/waveforms")) {
    const fs::path& tpl = entry.path();
    if (tpl.extension() == ".gtkw" && tpl.stem().string().find('.') == std::string::npos) {
      openings.emplace_back(tpl.string(), "'" + dump.string() + "' '" + tpl.string() + "'");
    }
  }
  ASSERT_GE(views.size(), 3u);  // array, controller, requant_pool, and any view added since
  ASSERT_EQ(openings.size(), 2 * views.size()) << "a view beside the dump per shipped view";
  std::ofstream(dir / "probe.tcl") << kProbe;
  std::string script = "cd '" + dir.string() + "'\n";
  for (size_t i = 0; i < openings.size(); ++i) {
    const std::string n = std::to_string(i);
    script += "SASIM_SHOT=shot" + n + ".xwd timeout 60 gtkwave -R probe.tcl -P 1000 " +
              openings[i].second + " > probe" + n + ".txt 2>&1\n";
  }
  std::ofstream(dir / "open.sh") << script;
  // HOME: no user's .gtkwaverc changes colours or sizes.
  ASSERT_EQ(Shell("cd '" + dir.string() + "' && HOME='" + dir.string() +
                  "' xvfb-run -a -s '-screen 0 " + std::to_string(kScreenWidth) + "x" +
                  std::to_string(kScreenHeight) + "x24' sh open.sh > xvfb.txt 2>&1"),
            0)
      << Slurp(dir / "xvfb.txt");

  const char* keep = std::getenv("SASIM_WAVEFORM_SHOTS");
  for (size_t i = 0; i < openings.size(); ++i) {
    const std::string& what = openings[i].first;
    const fs::path probe = dir / ("probe" + std::to_string(i) + ".txt");
    const Shown s = ReadProbe(probe);
    ASSERT_GE(s.window_start, 0) << what << ": GTKWave did not report\n" << Slurp(probe);
    const int64_t span = s.window_end - s.window_start;
    EXPECT_GE(span, static_cast<int64_t>(16 * kPeriod)) << what << ": at least 16 cycles";
    ExpectNamedValues(s, what);
    const Shot shot = ReadXwd(dir / ("shot" + std::to_string(i) + ".xwd"));
    ASSERT_EQ(shot.width, kScreenWidth) << what << ": no screenshot";
    EXPECT_GE(ActiveColumns(shot, static_cast<int>(s.pane)), 32)
        << what << ": the waves pane shows no clock edges nor transitions";

    if (i >= views.size()) {
      // A template opened by hand: the dump's first cycles, 16 to 64 of them.
      EXPECT_EQ(s.window_start, s.dump_start) << what;
      EXPECT_LE(span, static_cast<int64_t>(64 * kPeriod)) << what;
      continue;
    }
    // The views beside the dump: markers at the first folds (conv3 has many), and a window on
    // what the view is for (its "[*] sasim span:" line).
    const int64_t fold1 = s.named[0], fold3 = s.named[2];
    ASSERT_TRUE(fold1 > 0 && s.named[1] > fold1 && fold3 > s.named[1]) << what;
    const std::string text = Slurp(what);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, std::regex("\\[\\*\\] sasim span: (\\w+)"))) << what;
    const std::string kind = m[1];
    if (kind == "folds") {
      // The first two folds: the first's first step to the third fold's start, not much more.
      EXPECT_EQ(s.marker, fold1) << what;
      EXPECT_LE(s.window_start, fold1) << what;
      EXPECT_GE(s.window_end, fold3) << what;
      EXPECT_LE(span, 2 * (fold3 - fold1)) << what;
    } else if (kind == "layer") {
      // From the layer's start (its loads) to past the first two folds.
      EXPECT_EQ(s.window_start, s.dump_start) << what;
      EXPECT_GE(s.window_end, fold3) << what;
      EXPECT_LE(span, 2 * (fold3 - s.dump_start)) << what;
    } else if (kind == "vector") {
      // conv3 runs no VECTOR command: the dump's first 64 cycles, fitted to the pane (the fit
      // leaves 5% of the pane over: 64 / 0.95 cycles).
      EXPECT_EQ(s.window_start, s.dump_start) << what;
      EXPECT_LE(span, static_cast<int64_t>(64 * kPeriod * 11 / 10)) << what;
    } else {
      // The first drain, after fold 1 and before fold 3, at 10 pixels a cycle or more.
      EXPECT_EQ(kind, "drain") << what;
      EXPECT_TRUE(s.marker > fold1 && s.marker < fold3) << what;
      EXPECT_TRUE(s.window_start <= s.marker &&
                  s.marker + 16 * static_cast<int64_t>(kPeriod) <= s.window_end)
          << what;
      EXPECT_LE(span / static_cast<int64_t>(kPeriod), s.pane / 10) << what;
    }
    // The vector view's picture in docs/ is of a dump with a VECTOR command (docs/waveforms.md),
    // which conv3 has not.
    if (keep && kind != "vector") {
      const std::string name = fs::path(what).stem().extension().string().substr(1);  // array
      const fs::path png = fs::path(keep) / ("waveform_" + name + ".png");
      EXPECT_EQ(Shell("convert '" + (dir / ("shot" + std::to_string(i) + ".xwd")).string() + "' '" +
                      png.string() + "'"),
                0)
          << "ImageMagick's convert: " << png;
    }
  }
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
