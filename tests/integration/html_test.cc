// report.html in headless Chromium (Debian's chromium): the page loads from a file with no
// console errors and no network, and shows the run's totals and verdict.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/shell_util.h"

namespace sasim {
namespace {

namespace fs = std::filesystem;
using testutil::Shell;
using testutil::Slurp;



TEST(HtmlReportTest, LoadsInChromiumAndShowsTheTotals) {
  const fs::path dir = fs::temp_directory_path() / ("html_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  ASSERT_EQ(Shell(std::string(SIM_RUN_PATH) + " --net " SASIM_SOURCE_DIR "/configs/tiny.yaml --out " +
                (dir / "run").string() + " --quiet > /dev/null"),
            0);
  const fs::path html = dir / "run" / "report.html";
  ASSERT_TRUE(fs::exists(html));
  const auto report = nlohmann::json::parse(Slurp(dir / "run" / "report.json"));

  const std::string cmd =
      "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--user-data-dir=" + (dir / "profile").string() +
      " --enable-logging=stderr --v=0 --virtual-time-budget=2000 --dump-dom file://" +
      html.string() + " > " + (dir / "dom.html").string() + " 2> " + (dir / "log.txt").string();
  ASSERT_EQ(Shell(cmd), 0) << Slurp(dir / "log.txt");
  const std::string dom = Slurp(dir / "dom.html");
  const std::string log = Slurp(dir / "log.txt");
  EXPECT_EQ(log.find("CONSOLE"), std::string::npos) << log;
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
  // The DOM Chromium built shows the totals of report.json and the verdict.
  EXPECT_NE(dom.find("id=\"total-cycles\">" + std::to_string(report["totals"]["cycles"].get<uint64_t>()) +
                     "<"),
            std::string::npos);
  EXPECT_NE(dom.find("id=\"total-macs\">" + std::to_string(report["totals"]["macs"].get<int64_t>()) +
                     "<"),
            std::string::npos);
  EXPECT_NE(dom.find("bit-exact: every layer matches the golden model"), std::string::npos);
  EXPECT_NE(dom.find("<svg"), std::string::npos);
  for (const auto& layer : report["layers"]) {
    EXPECT_NE(dom.find(">" + layer["name"].get<std::string>() + "<"), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(HtmlReportTest, NoHtmlSkipsIt) {
  const fs::path dir = fs::temp_directory_path() / ("nohtml_" + std::to_string(getpid()));
  fs::remove_all(dir);
  ASSERT_EQ(Shell(std::string(SIM_RUN_PATH) + " --net " SASIM_SOURCE_DIR "/configs/tiny.yaml --out " +
                dir.string() + " --quiet --no-html > /dev/null"),
            0);
  EXPECT_TRUE(fs::exists(dir / "report.json"));
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sasim
