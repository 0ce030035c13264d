#include "sim/run_network.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/core.h>

#include "contract/counters.h"
#include "contract/errors.h"
#include "host/config/config_loader.h"
#include "host/golden/golden.h"
#include "host/io/files.h"
#include "host/io/npy.h"
#include "host/runtime/runtime.h"

namespace sasim {
namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// First difference between a layer's hardware output and its golden output, or "".
std::string FirstMismatch(const Layer& layer, const std::vector<uint8_t>& expected,
                          const std::vector<uint8_t>& got) {
  const TensorShape out = layer.out_shape();
  const size_t plane = static_cast<size_t>(out.height) * out.width;
  if (got.size() != expected.size()) {
    return fmt::format("layer {}: {} outputs, expected {}", layer.name, got.size(),
                       expected.size());
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (got[i] != expected[i]) {
      size_t wrong = 0;
      for (size_t j = 0; j < expected.size(); ++j) wrong += got[j] != expected[j];
      return fmt::format(
          "layer {}: output index {} (channel {}, y {}, x {}): expected {}, got "
          "{} ({} of {} outputs differ)",
          layer.name, i, i / plane, i / out.width % out.height, i % out.width, expected[i], got[i],
          wrong, expected.size());
    }
  }
  return "";
}

int Argmax(const std::vector<uint8_t>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

std::string DefaultHwPath() { return SASIM_SOURCE_DIR "/configs/hw/default.yaml"; }

std::string EnergyTablePath(const std::string& arg) {
  if (arg.find('/') != std::string::npos || arg.find(".yaml") != std::string::npos) return arg;
  if (!IsPathName(arg)) {
    throw InputError(
        fmt::format("--energy '{}': not a table name (course_ops, horowitz45, "
                    "course_eyeriss) or a .yaml file",
                    arg));
  }
  return std::string(SASIM_SOURCE_DIR) + "/configs/energy/" + arg + ".yaml";
}

PreparedRun PrepareRun(const RunRequest& request) {
  PreparedRun run;
  run.request = request;
  run.hw_path = request.hw_path.empty() ? DefaultHwPath() : request.hw_path;
  run.hw = LoadHwConfig(run.hw_path);
  run.energy_table = LoadEnergyTable(EnergyTablePath(request.energy));
  run.spec = LoadNet(request.net_path);
  compiler::NetSpec& spec = run.spec;
  if (request.seed) spec.seed = *request.seed;
  Network net = NetworkOf(spec, compiler::Fuse(spec));

  // A network too large to simulate in reasonable time, or one the hardware cannot run, is
  // refused from its shapes alone, before any weight is made or golden output computed.
  int64_t macs = 0;
  for (const Layer& layer : net.layers) macs += layer.macs();
  if (macs > limits::kMaxNetMacs) {
    throw InputError(
        fmt::format("{}: the network has {:.2f} G MACs per image, more than the "
                    "{:.0f} G a run simulates in reasonable time",
                    spec.path, macs / 1e9, limits::kMaxNetMacs / 1e9));
  }
  run.compiled = compiler::PlanNet(net.layers, run.hw);
  if (!request.inject_fault.empty() &&
      std::none_of(net.layers.begin(), net.layers.end(),
                   [&](const Layer& l) {
                     return l.name == request.inject_fault && l.has_weights();
                   })) {
    throw InputError(
        fmt::format("--inject-fault: no layer with weights named '{}' in {}",
                    request.inject_fault, request.net_path));
  }
  run.trace = PlanTrace(request.trace, spec.name, run.compiled.program);

  // The input: image 0 of a dataset, a file, or a synthetic image.
  std::vector<uint8_t> input;
  const InputFormat format = net.input_format();
  if (!request.dataset.empty()) {
    if (!request.input_path.empty()) throw InputError("--dataset and --input exclude each other");
    if (request.limit < 0) throw InputError(fmt::format("--limit {}: not negative", request.limit));
    Dataset dataset = LoadDataset(request.dataset, request.labels, request.limit, format);
    if (dataset.images.empty()) throw InputError(request.dataset + ": no images");
    run.input_desc = fmt::format("{} image 0 of {}", request.dataset, dataset.images.size());
    input = std::move(dataset.images[0]);
    run.more_images.assign(std::make_move_iterator(dataset.images.begin() + 1),
                           std::make_move_iterator(dataset.images.end()));
    run.labels = std::move(dataset.labels);
  } else if (request.input_path.empty()) {
    if (!request.labels.empty() || request.limit != 0) {
      throw InputError("--labels and --limit apply to a --dataset");
    }
    input = SyntheticImage(net.input, spec.seed);
    run.input_desc = fmt::format("synthetic (seed {})", spec.seed);
  } else if (request.input_path == kReferenceInput) {
    if (spec.reference_dir.empty()) {
      throw InputError(fmt::format("--input reference: {} has no `reference` directory",
                                   spec.path));
    }
    const std::string dir = spec.reference_dir;
    input = LoadInputImage(dir + "/input.npy", 0, format);
    run.input_desc = fmt::format("reference input {}/input.npy", dir);
    for (const Layer& layer : net.layers) {
      const std::string path = dir + "/" + layer.out_name + ".npy";
      const NpyArray a = ReadNpy(path);
      if (a.dtype != "u1" || a.size() != layer.out_shape().elements()) {
        throw InputError(fmt::format(
            "{}: PyTorch's output of '{}' should be {} uint8 codes, the file has {} of dtype {}",
            path, layer.out_name, layer.out_shape().elements(), a.size(), a.dtype));
      }
      run.reference.push_back(a.As<uint8_t>());
    }
  } else {
    input = LoadInputImage(request.input_path, request.index, format);
    run.input_desc = DescribeInput(request.input_path, request.index);
  }

  const auto start = std::chrono::steady_clock::now();
  run.prepared = PrepareNet(spec, std::move(net), std::move(input));
  run.prepare_seconds = Since(start);
  // Compiled again, not patched: calibration may have changed shifts, which COMPUTE encodes.
  run.compiled = compiler::CompileNet(run.prepared.net.layers, run.prepared.net.weights, run.hw);
  return run;
}

NetworkRun RunNetwork(const PreparedRun& run, Device& device, const TraceRequest* trace) {
  const Program& program = run.compiled.program;
  const Network& net = run.prepared.net;
  const size_t n = net.layers.size();
  NetworkRun out;
  RunResult& result = out.result;
  result.net = net.name;
  result.net_path = run.request.net_path;
  result.input = run.input_desc;
  result.hw = run.hw;
  result.hw_path = run.hw_path;
  result.energy_table = run.energy_table;
  result.prepare_seconds = run.prepare_seconds;
  result.device = std::string(DeviceKindName(device.kind()));
  result.timed = device.timed();

  if (trace) device.SetTrace(*trace);
  std::vector<Counters> counters;
  std::vector<bool> exact_images;  // images 1.. (image 0 is checked layer by layer)
  std::vector<int> predictions;
  const auto start = std::chrono::steady_clock::now();
  device.Run([&](Hal& hal) {
    LoadProgram(hal, program);
    if (!run.request.inject_fault.empty()) {
      for (size_t i = 0; i < n; ++i) {
        if (net.layers[i].name != run.request.inject_fault) continue;
        for (const DramSegment& segment : program.segments) {
          if (segment.addr != run.compiled.plans[i].place.weight_addr) continue;
          uint8_t word = segment.bytes[4 * 16] ^ 0x40;  // the first weight
          hal.DramWrite(segment.addr + 4 * 16, &word, 1);
        }
      }
    }
    WriteInput(hal, program, run.prepared.input);
    // Progress: the layer the controller is in, and cycles against the compiler's estimate.
    uint64_t estimate = 0;
    for (const auto& l : program.layers) estimate += l.estimated_cycles;
    auto report = [&](uint32_t command, uint64_t cycles) {
      size_t layer = 0;
      while (layer + 1 < n && program.layers[layer + 1].first_command <= command) ++layer;
      fmt::print(stderr, "\r  layer {} of {} ({}), {} cycles, ~{:.0f}%, {:.1f} s   ", layer + 1, n,
                 program.layers[layer].name, cycles,
                 std::min(99.0, 100.0 * cycles / std::max<uint64_t>(1, estimate)), Since(start));
    };
    RunCommands(hal, program.cmd_addr,
                run.request.progress ? report : std::function<void(uint32_t, uint64_t)>{});
    if (run.request.progress) fmt::print(stderr, "\r{:60}\r", "");
    counters = ReadLayerCounters(hal, program);
    for (size_t i = 0; i < n; ++i) out.outputs.push_back(ReadLayerOutput(hal, program, i));
    // The rest of a dataset: same program, only the input changes.
    for (size_t k = 0; k < run.more_images.size(); ++k) {
      WriteInput(hal, program, run.more_images[k]);
      RunCommands(hal, program.cmd_addr);
      const auto golden = golden::ForwardNet(net.layers, net.weights, run.more_images[k]);
      bool exact = true;
      std::vector<uint8_t> last;
      for (size_t i = 0; i < n; ++i) {
        last = ReadLayerOutput(hal, program, i);
        exact = exact && last == golden[i];
      }
      exact_images.push_back(exact);
      predictions.push_back(Argmax(last));
      if (run.request.progress) {
        fmt::print(stderr, "\r  image {} of {}, {:.1f} s   ", k + 2, run.more_images.size() + 1,
                   Since(start));
      }
    }
    if (run.request.progress && !run.more_images.empty()) fmt::print(stderr, "\r{:60}\r", "");
  });
  result.wall_seconds = Since(start);
  if (trace) {
    const TraceResult t = device.trace_result();
    if (!t.error.empty()) {
      throw InputError(fmt::format("--trace: writing the waveform failed ({})", t.error));
    }
    result.trace_first_cycle = t.first_cycle;
    result.trace_cycles = t.written ? t.cycles : 0;
  }

  for (size_t i = 0; i < n; ++i) {
    LayerResult l;
    l.layer = net.layers[i];
    l.stats = run.prepared.stats[i];
    l.tiling = run.compiled.plans[i].tiling.decision;
    l.counters = counters[i];
    l.mismatch = FirstMismatch(net.layers[i], run.prepared.golden[i], out.outputs[i]);
    if (!run.reference.empty()) {
      l.reference_mismatch = FirstMismatch(net.layers[i], run.reference[i], out.outputs[i]);
      if (!l.reference_mismatch.empty()) l.reference_mismatch += " (against PyTorch)";
    }
    l.bit_exact = l.mismatch.empty() && l.reference_mismatch.empty();
    result.layers.push_back(std::move(l));
  }
  if (!run.reference.empty()) result.reference = run.spec.reference_dir;
  Summarize(&result);
  if (!run.request.dataset.empty()) {
    // Image 0 is the per-layer run above; the others were checked on every layer too.
    predictions.insert(predictions.begin(), Argmax(out.outputs.back()));
    exact_images.insert(exact_images.begin(), result.bit_exact);
    result.dataset_path = run.request.dataset;
    result.dataset_images = predictions.size();
    result.dataset_labelled = !run.labels.empty();
    std::string csv = "index,label,prediction,bit_exact\n";
    for (size_t k = 0; k < predictions.size(); ++k) {
      result.dataset_exact_images += exact_images[k];
      if (result.dataset_labelled) result.dataset_correct += predictions[k] == run.labels[k];
      csv += fmt::format("{},{},{},{}\n", k, result.dataset_labelled ? run.labels[k] : -1,
                         predictions[k], exact_images[k] ? 1 : 0);
    }
    result.bit_exact = result.bit_exact && result.dataset_exact_images == result.dataset_images;
    out.predictions_csv = std::move(csv);
  }
  return out;
}

}  // namespace sasim
