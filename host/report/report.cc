#include "host/report/report.h"

#include <cstdio>
#include <fstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "contract/errors.h"
#include "host/io/npy.h"
#include "host/report/html.h"

namespace sasim {

using isa::Counter;

std::vector<std::string> LayerWarnings(const LayerResult& l) {
  std::vector<std::string> warnings;
  if (const uint64_t wraps = Get(l.counters, Counter::kAccWraps); wraps > 0) {
    warnings.push_back(fmt::format(
        "{} accumulation steps wrapped the int32 accumulator (counter acc_wraps): the outputs "
        "are bit-exact with the contract, which wraps, but the real sums overflowed; lower the "
        "bias, the weights or the input scale",
        wraps));
  }
  return warnings;
}

void Summarize(RunResult* run) {
  const double pes = run->hw.pes();
  run->cycles = 0;
  run->macs = 0;
  run->roofline_cycles = 0;
  run->dram_read_bytes = run->dram_write_bytes = 0;
  run->bit_exact = !run->layers.empty();
  run->energy = Energy{};
  for (LayerResult& l : run->layers) {
    l.energy = ComputeEnergy(run->energy_table, run->hw, l.counters);
    run->energy += l.energy;
    const ConvShape& s = l.layer.shape;
    const uint64_t images = static_cast<uint64_t>(std::max(1, run->batch));
    l.macs = l.layer.macs() * static_cast<int64_t>(images);
    l.cycles = Get(l.counters, Counter::kCycles);
    // The least a layer can move: its inputs, weights and biases once, its output once. Add
    // and pool layers have no weights and are bound by these bytes.
    const uint64_t weight_bytes =
        l.layer.has_weights()
            ? static_cast<uint64_t>(s.reduction()) * s.out_channels + 4ull * s.out_channels
            : 0;
    // A batch's weights are needed once, each image's tensors once.
    l.min_dram_bytes =
        weight_bytes + images * (static_cast<uint64_t>(l.layer.inputs.size()) * s.in_channels *
                                     s.in_height * s.in_width +
                                 static_cast<uint64_t>(l.layer.out_shape().elements()));
    l.compute_bound = l.macs / pes;
    l.memory_bound = static_cast<double>(l.min_dram_bytes) / run->hw.dram_bytes_per_cycle;
    l.roofline_cycles = std::max(l.compute_bound, l.memory_bound);
    l.utilization = l.cycles ? l.macs / (pes * l.cycles) : 0.0;
    l.stall_cycles = Get(l.counters, Counter::kStallLoad) + Get(l.counters, Counter::kStallStore) +
                     Get(l.counters, Counter::kStallFetch);
    l.dram_read_bytes = Get(l.counters, Counter::kDramReadBytes);
    l.dram_write_bytes = Get(l.counters, Counter::kDramWriteBytes);
    run->cycles += l.cycles;
    run->macs += l.macs;
    run->roofline_cycles += l.roofline_cycles;
    run->dram_read_bytes += l.dram_read_bytes;
    run->dram_write_bytes += l.dram_write_bytes;
    run->bit_exact = run->bit_exact && l.bit_exact;
  }
  run->utilization = run->cycles ? run->macs / (pes * run->cycles) : 0.0;
}

namespace {

// How the run was split over worker processes, or "" when one process ran it.
std::string ParallelLine(const RunResult& run) {
  if (run.workers <= 1) return "";
  std::string groups;
  for (const auto& g : run.split) groups += (groups.empty() ? "" : " | ") + g;
  return fmt::format("{} worker processes, split by {}: {}{}\n", run.workers, run.split_by, groups,
                     run.reruns ? fmt::format(" ({} group(s) run again to start in the exact "
                                              "state of one run)",
                                              run.reruns)
                                : "");
}

nlohmann::json EnergyJson(const Energy& e) {
  nlohmann::json by = nlohmann::json::object();
  for (const auto& [name, pj] : e.Components()) by[name] = pj;
  return {{"total_pj", e.total()},
          {"compute_pj", e.compute()},
          {"fp32_equivalent_pj", e.fp32_equivalent},
          {"compute_over_fp32", e.fp32_equivalent > 0 ? e.compute() / e.fp32_equivalent : 0.0},
          {"by_component", by}};
}

}  // namespace

std::string ReportJson(const RunResult& run) {
  using nlohmann::json;
  // The hw block comes from the one key table (contract/hw_config.h): every key, in the units
  // of the config file, numbers as numbers.
  json hw = {{"path", run.hw_path}};
  for (const HwKey& key : HwKeys()) {
    const std::string value = HwKeyValue(key, run.hw);
    if (key.type == HwKeyType::kString) {
      hw[key.name] = value;
    } else if (key.type == HwKeyType::kInt) {
      hw[key.name] = std::stoll(value);
    } else {
      hw[key.name] = std::stod(value);
    }
  }
  json layers = json::array();
  for (const LayerResult& l : run.layers) {
    json inputs = json::array();
    for (int from : l.layer.inputs) {
      inputs.push_back(from >= 0 && from < static_cast<int>(run.layers.size())
                           ? run.layers[from].layer.name
                           : std::string("input"));
    }
    json counters = json::object();
    for (int i = 0; i < isa::kNumCounters; ++i) {
      counters[isa::CounterName(static_cast<Counter>(i))] = l.counters[i];
    }
    json layer = {
        {"name", l.layer.name},
        {"type", std::string(LayerKindName(l.layer.kind))},
        {"ops", l.layer.ops},
        {"inputs", inputs},
        {"input_shape",
         {l.layer.shape.in_channels, l.layer.shape.in_height, l.layer.shape.in_width}},
        {"output_shape",
         {l.layer.out_shape().channels, l.layer.out_shape().height, l.layer.out_shape().width}},
        {"kernel", {l.layer.shape.kernel_h, l.layer.shape.kernel_w}},
        {"stride", l.layer.shape.stride},
        {"padding", l.layer.shape.padding},
        {"relu", l.layer.requant.relu},
        {"pool", l.layer.pool.enabled},
        {"shift", l.layer.requant.shift},
        {"configured_shift", l.stats.configured_shift},
        {"calibrated", l.stats.calibrated},
        {"rounding", std::string(RoundingName(l.layer.requant.rounding))},
        {"macs", l.macs},
        {"cycles", l.cycles},
        {"cycles_per_image", static_cast<double>(l.cycles) / std::max(1, run.batch)},
        {"roofline_cycles", l.roofline_cycles},
        {"compute_bound_cycles", l.compute_bound},
        {"memory_bound_cycles", l.memory_bound},
        {"min_dram_bytes", l.min_dram_bytes},
        {"utilization", l.utilization},
        {"stall_cycles", l.stall_cycles},
        {"dram_read_bytes", l.dram_read_bytes},
        {"dram_write_bytes", l.dram_write_bytes},
        {"zero_share", l.stats.zero_share},
        {"saturated_share", l.stats.saturated_share},
        {"bit_exact", l.bit_exact},
        {"tiling", l.tiling},
        {"counters", counters},
        {"warnings", LayerWarnings(l)}};
    layer["energy"] = EnergyJson(l.energy);
    if (!l.mismatch.empty()) layer["mismatch"] = l.mismatch;
    if (!l.reference_mismatch.empty()) layer["reference_mismatch"] = l.reference_mismatch;
    layers.push_back(layer);
  }
  json report = {
      {"net", run.net},
      {"device", run.device},
      {"timed", run.timed},
      {"net_path", run.net_path},
      {"input", run.input},
      {"batch", run.batch},
      {"hw", hw},
      {"bit_exact", run.bit_exact},
      {"checked_against", run.reference.empty()
                              ? std::string("golden model")
                              : "PyTorch reference (" + run.reference + ") and golden model"},
      {"totals",
       {{"cycles", run.cycles},
        {"cycles_per_image", static_cast<double>(run.cycles) / std::max(1, run.batch)},
        {"macs", run.macs},
        {"utilization", run.utilization},
        {"roofline_cycles", run.roofline_cycles},
        {"cycles_over_roofline", run.roofline_cycles > 0 ? run.cycles / run.roofline_cycles : 0.0},
        {"dram_read_bytes", run.dram_read_bytes},
        {"dram_write_bytes", run.dram_write_bytes},
        {"simulated_seconds", run.cycles / (run.hw.clock_mhz * 1e6)},
        {"wall_seconds", run.wall_seconds},
        {"prepare_seconds", run.prepare_seconds}}},
      {"layers", layers}};
  report["energy"] = EnergyJson(run.energy);
  report["parallel"] = {{"workers", run.workers},
                        {"split_by", run.split_by.empty() ? "none" : run.split_by},
                        {"groups", run.split},
                        {"reruns", run.reruns}};
  if (run.batch > 1 && run.dataset_images == 0) {
    report["batch_check"] = {{"images", run.batch}, {"bit_exact_images", run.batch_exact_images}};
    if (!run.batch_mismatch.empty()) report["batch_check"]["mismatch"] = run.batch_mismatch;
  }
  if (run.dataset_images > 0) {
    report["dataset"] = {{"path", run.dataset_path},
                         {"images", run.dataset_images},
                         {"bit_exact_images", run.dataset_exact_images}};
    if (run.dataset_labelled) {
      report["dataset"]["top1"] = static_cast<double>(run.dataset_correct) / run.dataset_images;
    }
  }
  if (!run.trace_path.empty()) {
    report["trace"] = {{"path", run.trace_path},
                       {"bytes", run.trace_bytes},
                       {"first_cycle", run.trace_first_cycle},
                       {"cycles", run.trace_cycles},
                       {"views", run.trace_views}};
  }
  report["energy"]["table"] = run.energy_table.name;
  report["energy"]["table_path"] = run.energy_table.path;
  return report.dump(2) + "\n";
}

std::string CyclesCsv(const RunResult& run) {
  std::string csv =
      "layer,type,macs,cycles,roofline_cycles,utilization,busy_cycles,stall_load,stall_store,"
      "stall_fetch,dram_read_bytes,dram_write_bytes,bit_exact\n";
  for (const LayerResult& l : run.layers) {
    csv +=
        fmt::format("{},{},{},{},{:.1f},{:.4f},{},{},{},{},{},{},{}\n", l.layer.name,
                    LayerKindName(l.layer.kind), l.macs, l.cycles, l.roofline_cycles, l.utilization,
                    Get(l.counters, Counter::kBusyCycles), Get(l.counters, Counter::kStallLoad),
                    Get(l.counters, Counter::kStallStore), Get(l.counters, Counter::kStallFetch),
                    l.dram_read_bytes, l.dram_write_bytes, l.bit_exact ? 1 : 0);
  }
  return csv;
}

std::string EnergyCsv(const RunResult& run) {
  std::string csv = "layer";
  for (const auto& [name, pj] : run.energy.Components()) csv += "," + name + "_pj";
  csv += ",total_pj,fp32_equivalent_pj\n";
  auto row = [&](const std::string& name, const Energy& e) {
    std::string line = name;
    for (const auto& [component, pj] : e.Components()) line += fmt::format(",{:.3f}", pj);
    return line + fmt::format(",{:.3f},{:.3f}\n", e.total(), e.fp32_equivalent);
  };
  for (const LayerResult& l : run.layers) csv += row(l.layer.name, l.energy);
  return csv + row("total", run.energy);
}

std::string EnergyTableText(const RunResult& run) {
  std::string t = fmt::format("energy by component, nJ (table '{}'):\n{:<8}", run.energy_table.name,
                              "layer");
  for (const auto& [name, pj] : run.energy.Components()) t += fmt::format(" {:>11}", name);
  t += fmt::format(" {:>11} {:>11} {:>7}\n", "total", "FP32 MACs", "arith");
  auto row = [&](const std::string& name, const Energy& e) {
    std::string line = fmt::format("{:<8}", name);
    for (const auto& [component, pj] : e.Components()) line += fmt::format(" {:>11.2f}", pj / 1e3);
    return line + fmt::format(" {:>11.2f} {:>11.2f} {:>6.1f}%\n", e.total() / 1e3,
                              e.fp32_equivalent / 1e3,
                              e.fp32_equivalent > 0 ? 100 * e.compute() / e.fp32_equivalent
                                                    : 0.0);
  };
  for (const LayerResult& l : run.layers) t += row(l.layer.name, l.energy);
  return t + row("total", run.energy);
}

std::string LayerTable(const RunResult& run) {
  std::string t = fmt::format(
      "{:<8} {:<22} {:>11} {:>9} {:>9} {:>6} {:>7} {:>10} {:>9} {:>6} {:>6} {}\n", "layer",
      "shape", "MACs", "cycles", "roofline", "util", "stalls", "DRAM B", "energy uJ", "zero",
      "sat", "exact");
  for (const LayerResult& l : run.layers) {
    const std::string shape =
        fmt::format("{}x{}x{}->{}x{}x{}", l.layer.shape.in_channels, l.layer.shape.in_height,
                    l.layer.shape.in_width, l.layer.out_shape().channels,
                    l.layer.out_shape().height, l.layer.out_shape().width);
    t += fmt::format(
        "{:<8} {:<22} {:>11} {:>9} {:>9.0f} {:>5.1f}% {:>7} {:>10} {:>9.3f} "
        "{:>5.1f}% {:>5.1f}% {}{}\n",
        l.layer.name, shape, l.macs, l.cycles, l.roofline_cycles, 100 * l.utilization,
        l.stall_cycles, l.dram_read_bytes + l.dram_write_bytes, l.energy.total() / 1e6,
        100 * l.stats.zero_share, 100 * l.stats.saturated_share, l.bit_exact ? "yes" : "NO",
        l.stats.calibrated ? fmt::format("  (calibrated: shift {} -> {})", l.stats.configured_shift,
                                         l.layer.requant.shift)
                           : "");
  }
  t += fmt::format("{:<8} {:<22} {:>11} {:>9} {:>9.0f} {:>5.1f}% {:>7} {:>10} {:>9.3f}\n",
                   "total", "", run.macs, run.cycles, run.roofline_cycles, 100 * run.utilization,
                   "", run.dram_read_bytes + run.dram_write_bytes, run.energy.total() / 1e6);
  return t;
}

std::string SummaryText(const RunResult& run, const std::string& out_dir, bool html,
                        const std::string& trace_note) {
  std::string t;
  const HwConfig& hw = run.hw;
  t += fmt::format("sim_run: {} on hw '{}' ({}x{} array, {:.0f} MHz), input {}\n", run.net, hw.name,
                   hw.array_rows, hw.array_cols, hw.clock_mhz, run.input);
  t += LayerTable(run);
  t += EnergyTableText(run);
  for (const auto& l : run.layers) {
    if (l.stats.calibrated) {
      t += fmt::format(
          "note: {} calibrated: with the configured shift {} most synthetic outputs were "
          "at 128 or 255; the power-of-two observer chose shift {} from the layer's "
          "largest accumulator\n",
          l.layer.name, l.stats.configured_shift, l.layer.requant.shift);
    }
    for (const auto& w : LayerWarnings(l)) t += fmt::format("warning: {}: {}\n", l.layer.name, w);
  }
  if (run.timed) {
    t += fmt::format(
        "cycles {} ({:.3f} ms at {:.0f} MHz), {:.3f}x the roofline sum {:.0f}; PE "
        "utilization {:.1f}%\n",
        run.cycles, run.cycles / (hw.clock_mhz * 1e3), hw.clock_mhz,
        run.cycles / run.roofline_cycles, run.roofline_cycles, 100 * run.utilization);
    if (run.batch > 1) {
      t += fmt::format("batch of {} images: {} cycles per batch, {:.0f} per image\n", run.batch,
                       run.cycles, static_cast<double>(run.cycles) / run.batch);
    }
    t += fmt::format(
        "simulation {:.2f} s wall ({:.2f} M cycles/s) on the {} device, "
        "preparation {:.2f} s\n",
        run.wall_seconds, run.cycles / run.wall_seconds / 1e6, run.device, run.prepare_seconds);
    t += ParallelLine(run);
  } else {
    t += fmt::format(
        "cycles: not measured (the {} device runs no clock; cycle and stall "
        "counters read 0); roofline sum {:.0f}\n",
        run.device, run.roofline_cycles);
    t += fmt::format("simulation {:.2f} s wall on the {} device, preparation {:.2f} s\n",
                     run.wall_seconds, run.device, run.prepare_seconds);
    t += ParallelLine(run);
  }
  t += fmt::format(
      "energy {:.3f} uJ with table '{}'; its arithmetic {:.3f} uJ is {:.1f}% of the same "
      "MACs in FP32 ({:.3f} uJ)\n",
      run.energy.total() / 1e6, run.energy_table.name, run.energy.compute() / 1e6,
      100 * run.energy.compute() / std::max(1e-9, run.energy.fp32_equivalent),
      run.energy.fp32_equivalent / 1e6);
  t += fmt::format(
      "reports: {0}/report.json, {0}/cycles.csv, {0}/energy.csv, {0}/decisions.txt{1}\n", out_dir,
      html ? fmt::format(", {}/report.html", out_dir) : "");
  if (!trace_note.empty()) t += fmt::format("{}\n", trace_note);
  if (run.batch > 1 && run.dataset_images == 0) {
    t += fmt::format("batch: {} of {} images bit-exact on every layer{}\n", run.batch_exact_images,
                     run.batch,
                     run.batch_mismatch.empty() ? "" : "; first difference: " + run.batch_mismatch);
  }
  if (run.dataset_images > 0) {
    t += fmt::format(
        "dataset: {} images, {} bit-exact against the golden model{}; predictions in "
        "{}/predictions.csv\n",
        run.dataset_images, run.dataset_exact_images,
        run.dataset_labelled ? fmt::format(", top-1 {:.2f}% ({} of {})",
                                           100.0 * run.dataset_correct / run.dataset_images,
                                           run.dataset_correct, run.dataset_images)
                             : "",
        out_dir);
  }
  return t;
}

void AddReportFiles(const RunResult& run, const std::string& predictions_csv, bool html,
                    OutputDir* out) {
  out->Add("report.json", ReportJson(run));
  out->Add("cycles.csv", CyclesCsv(run));
  out->Add("energy.csv", EnergyCsv(run));
  if (!predictions_csv.empty()) out->Add("predictions.csv", predictions_csv);
  if (html) out->Add("report.html", ReportHtml(run));
  std::string decisions;
  for (const auto& l : run.layers) decisions += fmt::format("{}: {}\n", l.layer.name, l.tiling);
  out->Add("decisions.txt", decisions);
}

void AddLayerOutputs(const RunResult& run, const std::vector<std::vector<uint8_t>>& outputs,
                     OutputDir* out) {
  for (size_t i = 0; i < run.layers.size() && i < outputs.size(); ++i) {
    const Layer& layer = run.layers[i].layer;
    const TensorShape s = layer.out_shape();
    out->Add(layer.name + ".npy", EncodeNpy("u1", {s.channels, s.height, s.width},
                                            outputs[i].data(), outputs[i].size()));
  }
}

}  // namespace sasim
