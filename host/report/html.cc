#include "host/report/html.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/core.h>

namespace sasim {
namespace {

using isa::Counter;

struct Series {
  std::string name;
  std::string color;
  std::vector<double> values;
};

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// How the run was split over worker processes.
std::string SplitText(const RunResult& run) {
  if (run.workers <= 1) return "one process";
  std::string t = "split by " + run.split_by + ":";
  for (const auto& g : run.split) t += " [" + g + "]";
  return t;
}

// A round step for about `ticks` axis ticks up to `max`.
double NiceStep(double max, int ticks) {
  const double raw = max / ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10 * mag;
}

std::string Number(double v) {
  if (v >= 1e9) return fmt::format("{:.3g}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.3g}k", v / 1e3);
  return fmt::format("{:.3g}", v);
}

// Bars per category: stacked (one bar, series on top of each other) or grouped (side by side).
// `marks` draws a short black line per category (e.g. the roofline bound).
std::string BarChart(const std::string& title, const std::string& unit,
                     const std::vector<std::string>& categories, const std::vector<Series>& series,
                     bool stacked, const std::vector<double>& marks = {},
                     const std::string& mark_name = "") {
  const int width = 900, height = 320, left = 70, right = 170, top = 30, bottom = 40;
  const int plot_w = width - left - right, plot_h = height - top - bottom;
  double max = 0;
  for (size_t c = 0; c < categories.size(); ++c) {
    double sum = 0;
    for (const auto& s : series) {
      sum = stacked ? sum + s.values[c] : std::max(sum, s.values[c]);
    }
    max = std::max(max, sum);
    if (c < marks.size()) max = std::max(max, marks[c]);
  }
  if (max <= 0) max = 1;
  const double step = NiceStep(max, 5);
  const double top_value = std::ceil(max / step) * step;
  auto y = [&](double v) { return top + plot_h - v / top_value * plot_h; };
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' role='img' "
      "aria-label='{}'>\n<text x='{}' y='18' class='title'>{}</text>\n",
      width, height, Escape(title), left, Escape(title));
  for (double v = 0; v <= top_value + step / 2; v += step) {
    svg += fmt::format("<line x1='{}' x2='{}' y1='{:.1f}' y2='{:.1f}' class='grid'/>"
                       "<text x='{}' y='{:.1f}' class='tick' text-anchor='end'>{}</text>\n",
                       left, left + plot_w, y(v), y(v), left - 6, y(v) + 4, Number(v));
  }
  svg += fmt::format("<text x='14' y='{}' class='tick' transform='rotate(-90 14 {})' "
                     "text-anchor='middle'>{}</text>\n", top + plot_h / 2, top + plot_h / 2,
                     Escape(unit));
  const double slot = static_cast<double>(plot_w) / categories.size();
  const double bar = slot * 0.7;
  for (size_t c = 0; c < categories.size(); ++c) {
    const double x0 = left + c * slot + (slot - bar) / 2;
    double base = 0;
    for (size_t k = 0; k < series.size(); ++k) {
      const double v = series[k].values[c];
      double x = x0, w = bar, from = base;
      if (!stacked) {
        w = bar / series.size();
        x = x0 + k * w;
        from = 0;
      }
      const double y_top = y(from + v), y_bottom = y(from);
      svg += fmt::format("<rect x='{:.1f}' y='{:.1f}' width='{:.1f}' height='{:.1f}' "
                         "fill='{}'><title>{} {}: {}</title></rect>\n",
                         x, y_top, w, std::max(0.0, y_bottom - y_top), series[k].color,
                         Escape(categories[c]), Escape(series[k].name), Number(v));
      if (stacked) base += v;
    }
    if (c < marks.size()) {
      svg += fmt::format("<line x1='{:.1f}' x2='{:.1f}' y1='{:.1f}' y2='{:.1f}' class='mark'>"
                         "<title>{} {}: {}</title></line>\n",
                         x0 - 3, x0 + bar + 3, y(marks[c]), y(marks[c]), Escape(categories[c]),
                         Escape(mark_name), Number(marks[c]));
    }
    svg += fmt::format("<text x='{:.1f}' y='{}' class='tick' text-anchor='middle'>{}</text>\n",
                       x0 + bar / 2, top + plot_h + 16, Escape(categories[c]));
  }
  int ly = top + 4;
  for (const auto& s : series) {
    svg += fmt::format("<rect x='{}' y='{}' width='12' height='12' fill='{}'/>"
                       "<text x='{}' y='{}' class='tick'>{}</text>\n",
                       left + plot_w + 16, ly, s.color, left + plot_w + 32, ly + 10,
                       Escape(s.name));
    ly += 18;
  }
  if (!marks.empty()) {
    svg += fmt::format("<line x1='{}' x2='{}' y1='{}' y2='{}' class='mark'/>"
                       "<text x='{}' y='{}' class='tick'>{}</text>\n",
                       left + plot_w + 16, left + plot_w + 28, ly + 6, ly + 6,
                       left + plot_w + 32, ly + 10, Escape(mark_name));
  }
  return svg + "</svg>\n";
}

}  // namespace

std::string ReportHtml(const RunResult& run) {
  std::vector<std::string> names;
  for (const auto& l : run.layers) names.push_back(l.layer.name);
  auto per_layer = [&](auto f) {
    std::vector<double> v;
    for (const auto& l : run.layers) v.push_back(f(l));
    return v;
  };
  auto counter = [](const LayerResult& l, Counter c) {
    return static_cast<double>(Get(l.counters, c));
  };

  const std::string cycles_chart = BarChart(
      "Cycles per layer", "cycles", names,
      {{"array fed", "#4e79a7",
        per_layer([&](const LayerResult& l) { return counter(l, Counter::kIssueCycles); })},
       {"fill / drain", "#a0cbe8", per_layer([&](const LayerResult& l) {
          return counter(l, Counter::kBusyCycles) - counter(l, Counter::kIssueCycles);
        })},
       {"stall: load", "#e15759",
        per_layer([&](const LayerResult& l) { return counter(l, Counter::kStallLoad); })},
       {"stall: store", "#f28e2b",
        per_layer([&](const LayerResult& l) { return counter(l, Counter::kStallStore); })},
       {"stall: commands", "#bab0ac",
        per_layer([&](const LayerResult& l) { return counter(l, Counter::kStallFetch); })}},
      true, per_layer([](const LayerResult& l) { return l.roofline_cycles; }), "roofline bound");
  const std::string util_chart = BarChart(
      "PE utilization against the roofline bound", "% of PEs busy", names,
      {{"measured", "#59a14f", per_layer([](const LayerResult& l) { return 100 * l.utilization; })},
       {"roofline bound", "#b6992d", per_layer([](const LayerResult& l) {
          return 100 * l.compute_bound / l.roofline_cycles;
        })}},
      false);
  std::vector<Series> energy_series;
  const char* colors[] = {"#4e79a7", "#76b7b2", "#59a14f", "#edc948",
                          "#b07aa1", "#ff9da7", "#e15759", "#9c755f"};
  int k = 0;
  for (const auto& [name, pj] : run.energy.Components()) {
    const std::string component = name;
    energy_series.push_back({component, colors[k++ % 8], per_layer([&](const LayerResult& l) {
                               for (const auto& [n, v] : l.energy.Components()) {
                                 if (n == component) return v / 1e6;
                               }
                               return 0.0;
                             })});
  }
  const std::string energy_chart =
      BarChart("Energy by component (table " + run.energy_table.name + ")", "uJ", names,
               energy_series, true);
  const std::string fp32_chart = BarChart(
      "INT8 on the accelerator against the same MACs in FP32", "uJ", names,
      {{"INT8 arithmetic", "#59a14f",
        per_layer([](const LayerResult& l) { return l.energy.compute() / 1e6; })},
       {"INT8 total (with memory)", "#4e79a7",
        per_layer([](const LayerResult& l) { return l.energy.total() / 1e6; })},
       {"FP32 MACs", "#e15759",
        per_layer([](const LayerResult& l) { return l.energy.fp32_equivalent / 1e6; })}},
      false);

  std::string rows;
  for (const auto& l : run.layers) {
    rows += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}x{}x{} &rarr; {}x{}x{}</td><td>{}</td><td>{}</td>"
        "<td>{:.0f}</td><td>{:.1f}%</td><td>{}</td><td>{}</td><td>{:.3f}</td><td>{:.1f}%</td>"
        "<td>{:.1f}%</td><td class='{}'>{}</td></tr>\n",
        Escape(l.layer.name), Escape(l.layer.ops), l.layer.shape.in_channels,
        l.layer.shape.in_height, l.layer.shape.in_width, l.layer.out_shape().channels,
        l.layer.out_shape().height, l.layer.out_shape().width, l.macs, l.cycles, l.roofline_cycles,
        100 * l.utilization, l.stall_cycles, l.dram_read_bytes + l.dram_write_bytes,
        l.energy.total() / 1e6, 100 * l.stats.zero_share, 100 * l.stats.saturated_share,
        l.bit_exact ? "ok" : "bad", l.bit_exact ? "yes" : "NO: " + Escape(l.mismatch));
  }
  const HwConfig& hw = run.hw;
  const std::string hw_rows = fmt::format(
      "<tr><td>name</td><td>{}</td></tr><tr><td>array</td><td>{} x {} PEs</td></tr>"
      "<tr><td>buffers</td><td>activation {} KiB, weight {} KiB, output {} KiB</td></tr>"
      "<tr><td>DRAM</td><td>{} B/cycle, {} cycles latency, {} MiB</td></tr>"
      "<tr><td>clock</td><td>{:.0f} MHz</td></tr>",
      Escape(hw.name), hw.array_rows, hw.array_cols, hw.abuf_bytes / 1024, hw.wbuf_bytes / 1024,
      hw.obuf_bytes / 1024, hw.dram_bytes_per_cycle, hw.dram_latency_cycles, hw.dram_mib,
      hw.clock_mhz);

  return fmt::format(
      R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>sasim report: {net}</title>
<style>
body {{ font-family: 'DejaVu Sans', sans-serif; margin: 24px; color: #222; max-width: 1000px; }}
h1 {{ font-size: 22px; margin-bottom: 4px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
.verdict {{ font-size: 18px; font-weight: bold; padding: 8px 12px; display: inline-block; }}
.verdict.ok {{ background: #dff0d8; color: #1d6b1d; }} .verdict.bad {{ background: #f8d7da; color: #8b1a1a; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
td.ok {{ color: #1d6b1d; }} td.bad {{ color: #8b1a1a; font-weight: bold; }}
.totals td {{ font-size: 15px; }}
svg .title {{ font-size: 14px; font-weight: bold; }} svg .tick {{ font-size: 11px; fill: #444; }}
svg .grid {{ stroke: #e4e4e4; }} svg .mark {{ stroke: #000; stroke-width: 2.5; }}
</style></head><body>
<h1>sasim: {net}</h1>
<p>{net_path} on hw config '{hw}' &middot; input {input} &middot; energy table '{table}'</p>
<div id="verdict" class="verdict {vclass}">{verdict}</div>
<h2>Totals</h2>
<table class="totals" id="totals">
<tr><td>cycles</td><td id="total-cycles">{cycles}</td><td>{ms:.3f} ms at {mhz:.0f} MHz</td></tr>
<tr><td>roofline sum</td><td>{roof:.0f}</td><td>cycles / roofline {ratio:.3f}</td></tr>
<tr><td>MACs</td><td id="total-macs">{macs}</td><td>PE utilization {util:.1f}%</td></tr>
<tr><td>DRAM</td><td>{dram} B</td><td>read {dread} B, written {dwrite} B</td></tr>
<tr><td>energy</td><td id="total-energy">{energy:.3f} uJ</td><td>arithmetic {arith:.3f} uJ = {pct:.1f}% of the same MACs in FP32 ({fp32:.3f} uJ)</td></tr>
<tr><td>simulation</td><td>{wall:.2f} s wall</td><td>{mcps:.3f} M cycles/s</td></tr>
<tr><td>workers</td><td>{workers}</td><td>{split}</td></tr>
</table>
<h2>Where the cycles go</h2>
{cycles_chart}
<h2>Utilization</h2>
{util_chart}
<h2>Energy</h2>
{energy_chart}
{fp32_chart}
<h2>Layers</h2>
<table><tr><th>layer</th><th>ops</th><th>shape</th><th>MACs</th><th>cycles</th><th>roofline</th><th>util</th><th>stalls</th><th>DRAM B</th><th>energy uJ</th><th>at 128</th><th>at 255</th><th>bit-exact</th></tr>
{rows}</table>
<h2>Hardware configuration</h2>
<table>{hw_rows}</table>
<p>Every figure comes from the RTL's performance counters (docs/isa.md); energy is those counters
times the table's picojoules (docs/energy.md).</p>
</body></html>
)",
      fmt::arg("net", Escape(run.net)), fmt::arg("net_path", Escape(run.net_path)),
      fmt::arg("hw", Escape(hw.name)), fmt::arg("input", Escape(run.input)),
      fmt::arg("table", Escape(run.energy_table.name)),
      fmt::arg("vclass", run.bit_exact ? "ok" : "bad"),
      fmt::arg("verdict", run.bit_exact ? "bit-exact: every layer matches the golden model"
                                        : "NOT bit-exact: see the layer table"),
      fmt::arg("cycles", run.cycles), fmt::arg("ms", run.cycles / (hw.clock_mhz * 1e3)),
      fmt::arg("mhz", hw.clock_mhz), fmt::arg("roof", run.roofline_cycles),
      fmt::arg("ratio", run.roofline_cycles > 0 ? run.cycles / run.roofline_cycles : 0.0),
      fmt::arg("macs", run.macs), fmt::arg("util", 100 * run.utilization),
      fmt::arg("dram", run.dram_read_bytes + run.dram_write_bytes),
      fmt::arg("dread", run.dram_read_bytes), fmt::arg("dwrite", run.dram_write_bytes),
      fmt::arg("energy", run.energy.total() / 1e6), fmt::arg("arith", run.energy.compute() / 1e6),
      fmt::arg("pct", run.energy.fp32_equivalent > 0
                          ? 100 * run.energy.compute() / run.energy.fp32_equivalent
                          : 0.0),
      fmt::arg("fp32", run.energy.fp32_equivalent / 1e6), fmt::arg("wall", run.wall_seconds),
      fmt::arg("workers", run.workers), fmt::arg("split", Escape(SplitText(run))),
      fmt::arg("mcps", run.wall_seconds > 0 ? run.cycles / run.wall_seconds / 1e6 : 0.0),
      fmt::arg("cycles_chart", cycles_chart), fmt::arg("util_chart", util_chart),
      fmt::arg("energy_chart", energy_chart), fmt::arg("fp32_chart", fp32_chart),
      fmt::arg("rows", rows), fmt::arg("hw_rows", hw_rows));
}

}  // namespace sasim
